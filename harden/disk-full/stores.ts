// Stores on a disk that fills up and frees again at seeded moments (tests/support/full-disk.ts: a
// real ENOSPC at each store's write boundary). After every operation the answer, the store's
// memory and the file on disk are compared with a model that applies exactly the operations
// answered as done; at the end the store is opened again (a restart) and compared once more.
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { ManualClock } from '../../src-node/kernel/util/clock.js';
import { SettingsStore, decodeSettings, type Settings } from '../../src-node/kernel/runtime/settings.js';
import { openAuthority } from '../../src-node/services/authority/open-authority.js';
import { readAuthorityState } from '../../src-node/services/authority/authority-store.js';
import { FileKeystore } from '../../src-node/kernel/identity/file-keystore.js';
import { installIdentity, readIdentityRecord } from '../../src-node/kernel/identity/identity-store.js';
import { nodeIdFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { FullDisk } from '../../tests/support/full-disk.js';
import { testIdentity } from '../../tests/support/identities.js';
import { enrollBody, randomSigner } from '../../tests/support/trust.js';
import type { Rng } from '../lib/random.js';

/** What one store went through, and what disagreed. */
export interface DiskFullFigures {
  readonly store: string;
  operations: number;
  /** Operations attempted while the disk was full. */
  underFullDisk: number;
  /** Answered as failed because of the disk. */
  refused: number;
  /** The answer and memory disagree (a failed operation visible, or a done one missing). */
  answerVsMemory: number;
  /** Memory and the file disagree. */
  memoryVsDisk: number;
  /** After a restart, the store holds something else than what the answers said. */
  afterRestart: number;
  readonly notes: string[];
}

export function figures(store: string): DiskFullFigures {
  return { store, operations: 0, underFullDisk: 0, refused: 0, answerVsMemory: 0, memoryVsDisk: 0, afterRestart: 0, notes: [] };
}

function note(f: DiskFullFigures, line: string): void {
  if (f.notes.length < 5) f.notes.push(line);
}

/** Flips the disk between full and free now and then. */
function weather(disk: FullDisk, rng: Rng): void {
  if (rng.chance(0.3)) {
    if (disk.isFull) disk.free();
    else disk.fill();
  }
}

export async function settingsOnFullDisk(dir: string, operations: number, rng: Rng): Promise<DiskFullFigures> {
  const f = figures('settings');
  const disk = new FullDisk();
  const store = new SettingsStore(dir, { write: disk.write });
  let model: Settings = await store.load();
  const changes: Array<(s: Settings) => Settings> = [
    (s) => ({ ...s, limits: { ...s.limits, cpuPercent: 1 + rng.int(100) } }),
    (s) => ({ ...s, contributionEnabled: !s.contributionEnabled }),
    (s) => ({ ...s, joined: !s.joined }),
    (s) => ({ ...s, seeds: [...s.seeds, { nodeId: testIdentity(1 + rng.int(200)).nodeId, url: `wss://seed-${rng.int(1_000)}.example/peer` }].slice(-8) }),
    (s) => ({ ...s, directories: [`https://d${rng.int(1_000)}.example`].concat(s.directories).slice(0, 4) }),
  ];
  for (let i = 0; i < operations; i++) {
    weather(disk, rng);
    const change = rng.pick(changes);
    f.operations++;
    if (disk.isFull) f.underFullDisk++;
    let done = true;
    try {
      const next = await store.update(change);
      model = next;
    } catch {
      done = false;
      f.refused++;
    }
    if (!isDeepStrictEqual(store.get(), model)) {
      f.answerVsMemory++;
      note(f, `op ${i} (${done ? 'done' : 'failed'}): memory differs from the answers`);
    }
    const onDisk = decodeSettings(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8').catch(() => '{}')));
    if (!isDeepStrictEqual(onDisk, model)) {
      f.memoryVsDisk++;
      note(f, `op ${i}: settings.json differs from memory`);
    }
  }
  if (!isDeepStrictEqual(await new SettingsStore(dir).load(), model)) f.afterRestart++;
  return f;
}

interface AuthorityModel {
  /** token → used */
  readonly tokens: Map<string, boolean>;
  readonly credentials: Set<string>;
  readonly revoked: Set<string>;
}

export async function authorityOnFullDisk(dir: string, operations: number, rng: Rng): Promise<DiskFullFigures> {
  const f = figures('authority');
  const disk = new FullDisk();
  const clock = new ManualClock(Date.now());
  const opened = await openAuthority({ dataDir: dir, crypto: nativeCrypto, clock, warn: () => undefined, create: { kind: 'file' }, write: disk.write });
  const authority = opened.authority;
  const model: AuthorityModel = { tokens: new Map(), credentials: new Set(), revoked: new Set() };
  const tokenIds = new Map<string, string>();
  const view = (): AuthorityModel => ({
    tokens: new Map(authority.tokenViews().map((t) => [t['token/id'], t.status === 'used'])),
    credentials: new Set(authority.credentialViews().map((c) => c['credential/id'])),
    revoked: new Set(authority.revocationList().revoked.map((r) => r['credential/id'])),
  });
  const expected = (): AuthorityModel => ({ tokens: new Map([...model.tokens].map(([t, used]) => [tokenIds.get(t)!, used])), credentials: model.credentials, revoked: model.revoked });
  const usedInModel = (): number => [...model.tokens.values()].filter(Boolean).length;
  const fromDisk = async (): Promise<{ credentials: Set<string>; revoked: Set<string>; used: number }> => {
    const state = await readAuthorityState(dir);
    return { credentials: new Set(state.credentials.map((c) => c['credential/id'])), revoked: new Set(state.revocations.map((r) => r['credential/id'])), used: state.tokens.filter((t) => t['used-at'] !== null).length };
  };
  let nodeByte = 0x30;
  for (let i = 0; i < operations; i++) {
    weather(disk, rng);
    f.operations++;
    if (disk.isFull) f.underFullDisk++;
    const kind = rng.weighted<'issue' | 'enroll' | 'revoke'>([
      [3, 'issue'],
      [4, 'enroll'],
      [2, 'revoke'],
    ]);
    let failedOnDisk = false;
    if (kind === 'issue') {
      try {
        const issued = await authority.issueToken();
        model.tokens.set(issued.token, false);
        tokenIds.set(issued.token, issued.tokenId);
      } catch {
        failedOnDisk = true;
      }
    } else if (kind === 'enroll') {
      const tokens = [...model.tokens.keys()];
      if (tokens.length === 0) continue;
      const token = rng.pick(tokens);
      const node = testIdentity(nodeByte++ % 256);
      const answer = await authority.enroll(node.nodeId, enrollBody(node, randomSigner(), token));
      if (answer.ok) {
        model.tokens.set(token, true);
        model.credentials.add(answer.value['credential/id']);
      } else if (answer.error.code === 'E_TRANSPORT_UNAVAILABLE') {
        failedOnDisk = true;
      }
    } else {
      const live = [...model.credentials].filter((c) => !model.revoked.has(c));
      if (live.length === 0) continue;
      const id = rng.pick(live);
      try {
        if (await authority.revoke(id, 'harden')) model.revoked.add(id);
      } catch {
        failedOnDisk = true;
      }
    }
    if (failedOnDisk) f.refused++;
    if (!isDeepStrictEqual(view(), expected())) {
      f.answerVsMemory++;
      note(f, `op ${i} ${kind} (${failedOnDisk ? 'failed' : 'done'}): memory differs from the answers`);
    }
    const disked = await fromDisk();
    if (!isDeepStrictEqual(disked.credentials, model.credentials) || !isDeepStrictEqual(disked.revoked, model.revoked) || disked.used !== usedInModel()) {
      f.memoryVsDisk++;
      note(f, `op ${i} ${kind}: authority-state.json differs from memory`);
    }
  }
  disk.free();
  await opened.close();
  const again = await openAuthority({ dataDir: dir, crypto: nativeCrypto, clock, warn: () => undefined });
  const restarted = {
    credentials: new Set(again.authority.credentialViews().map((c) => c['credential/id'])),
    revoked: new Set(again.authority.revocationList().revoked.map((r) => r['credential/id'])),
    used: again.authority.tokenViews().filter((t) => t.status === 'used').length,
  };
  if (!isDeepStrictEqual(restarted.credentials, model.credentials) || !isDeepStrictEqual(restarted.revoked, model.revoked) || restarted.used !== usedInModel()) f.afterRestart++;
  await again.close();
  return f;
}

export async function identityOnFullDisk(dir: string, operations: number): Promise<DiskFullFigures> {
  const f = figures('identity import');
  const disk = new FullDisk();
  disk.fill();
  const keystore = new FileKeystore({ dataDir: dir, crypto: nativeCrypto });
  for (let i = 0; i < operations; i++) {
    f.operations++;
    f.underFullDisk++;
    const seed = nativeCrypto.randomBytes(32);
    const nodeId = nodeIdFromPublicKey(nativeCrypto.ed25519Signer(seed).publicKey);
    let done = true;
    try {
      await installIdentity({ dataDir: dir, keystore, crypto: nativeCrypto, seed, createRecord: disk.write });
    } catch {
      done = false;
      f.refused++;
    }
    const keyLeft = (await keystore.load(nodeId)) !== undefined;
    const record = await readIdentityRecord(dir, nativeCrypto);
    if (done || keyLeft) {
      f.answerVsMemory++;
      note(f, `import ${i}: ${done ? 'answered done on a full disk' : 'its key was left in the keystore'}`);
    }
    if (record !== undefined) f.memoryVsDisk++;
  }
  // A restart adopts a key left without its record: none may be there.
  if ((await keystore.list?.())?.length) f.afterRestart++;
  return f;
}
