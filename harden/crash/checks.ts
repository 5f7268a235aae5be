// After a writer is killed, everything it wrote is loaded with the real loaders, as a restarting
// node would load it, and compared with what the writer reported as completed. Each file ends in
// one verdict:
//   ok          it loads, and holds at least the last completed write;
//   named       the loader refused it with a clear, specific error naming exactly that file
//               (allowed by the issue, but counted: with atomic writes it should not happen);
//   unreadable  it does not load, or the error is not specific (must be 0);
//   lost        it loads but holds less than the last completed write (must be 0).
import { join } from 'node:path';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { openKeystore } from '../../src-node/kernel/identity/keystore.js';
import { loadOrCreateIdentity } from '../../src-node/kernel/identity/identity-store.js';
import { IdentityError } from '../../src-node/kernel/identity/identity-error.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { SettingsStore } from '../../src-node/kernel/runtime/settings.js';
import { PeerStore } from '../../src-node/kernel/peers/peer-store.js';
import { AdvertisementCache } from '../../src-node/kernel/advertisement/advertisement-cache.js';
import { OwnAdvertisement, ADVERTISEMENT_STATE_FILE } from '../../src-node/kernel/advertisement/own-advertisement.js';
import { readTraceLog, traceLogPath } from '../../src-node/kernel/trace/trace-log.js';
import { DirectoryStore } from '../../src-node/services/directory/directory-store.js';
import { adminFilePath, readAdminFile } from '../../src-node/services/orchestrator/admin-file.js';
import { CorruptFileError } from '../../src-node/kernel/storage/atomic-file.js';
import { removeStaleTempFiles } from '../../src-node/kernel/storage/temp-sweep.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { openAuthority } from '../../src-node/services/authority/open-authority.js';
import { AuthorityStateError, authorityStatePath, readAuthorityState, revocationListPath } from '../../src-node/services/authority/authority-store.js';
import { authorityRecordPath } from '../../src-node/services/authority/authority-key.js';
import { verifyRevocationList } from '../../src-shared/trust/revocation-list.js';
import { markerIdentity, markerLabel } from './writer.js';

export type Verdict = 'ok' | 'named' | 'unreadable' | 'lost';

export interface FileCheck {
  readonly file: string;
  readonly verdict: Verdict;
  readonly detail?: string;
}

/** What the writer reported, per file: the last write begun and the last one completed. */
export interface Progress {
  readonly begun: Map<string, number>;
  readonly done: Map<string, number>;
  /** Directory rows acknowledged as on disk: node-id → highest sequence. */
  readonly acked: Map<string, number>;
  /** Trace generations completed in the trial just killed. */
  readonly tracesThisTrial: number[];
}

export function newProgress(): Progress {
  return { begun: new Map(), done: new Map(), acked: new Map(), tracesThisTrial: [] };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** An error that names `path` specifically: CorruptFileError, IdentityError, AuthorityStateError with that path. */
function namesFile(error: unknown, ...paths: string[]): boolean {
  if (error instanceof CorruptFileError || error instanceof AuthorityStateError) return paths.includes(error.path);
  if (error instanceof IdentityError) return error.path !== undefined && paths.includes(error.path);
  return false;
}

async function check(file: string, paths: readonly string[], fn: () => Promise<Verdict | FileCheck>): Promise<FileCheck> {
  try {
    const verdict = await fn();
    return typeof verdict === 'string' ? { file, verdict } : verdict;
  } catch (error) {
    return { file, verdict: namesFile(error, ...paths) ? 'named' : 'unreadable', detail: describe(error) };
  }
}

function atLeast(file: string, found: number | undefined, completed: number | undefined, what: string): FileCheck {
  if (completed === undefined) return { file, verdict: 'ok' };
  if (found === undefined || found < completed) return { file, verdict: 'lost', detail: `${what} ${found ?? 'missing'}, but ${completed} had completed` };
  return { file, verdict: 'ok' };
}

/**
 * The node's files, loaded in the order NodeRuntime.start loads them. `expected` is the identity
 * the lane had (undefined before one was seen); answers the loaded identity too.
 */
export async function checkNodeFiles(dataDir: string, progress: Progress, laneSeed: number, expected: string | undefined, role: 'contributor' | 'orchestrator'): Promise<{ checks: FileCheck[]; identity: NodeIdentity | undefined }> {
  const checks: FileCheck[] = [];
  await removeStaleTempFiles(dataDir);
  let identity: NodeIdentity | undefined;
  const identityDir = join(dataDir, 'identity');
  checks.push(
    await check('identity', [join(identityDir, 'node-identity.v1.json'), join(identityDir, 'node-signing-key.v1.json')], async () => {
      const keystore = await openKeystore({ dataDir, preference: 'file', warn: () => undefined, crypto: nativeCrypto });
      const loaded = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto, clock: systemClock });
      identity = loaded.identity;
      if (expected !== undefined && loaded.identity.nodeId !== expected) return { file: 'identity', verdict: 'lost', detail: `loaded ${loaded.identity.nodeId}, but the node was ${expected}` };
      return 'ok';
    }),
  );

  const settingsPath = join(dataDir, 'settings.json');
  checks.push(
    await check('settings', [settingsPath], async () => {
      let corrupt: CorruptFileError | undefined;
      const settings = await new SettingsStore(dataDir).load({}, (error) => (corrupt = error));
      if (corrupt) return { file: 'settings', verdict: 'named', detail: corrupt.message };
      const found = existsSync(settingsPath) ? (settings.snoozedUntil ?? undefined) : undefined;
      const begun = progress.begun.get('settings');
      if (found !== undefined && begun !== undefined && found > begun) return { file: 'settings', verdict: 'lost', detail: `holds generation ${found}, never begun (last begun ${begun})` };
      return atLeast('settings', found, progress.done.get('settings'), 'generation');
    }),
  );

  const peersPath = join(dataDir, 'peers.json');
  checks.push(
    await check('peers', [peersPath], async () => {
      const store = await PeerStore.open({ dataDir, clock: systemClock });
      try {
        if (store.loadReport.status === 'corrupt') return { file: 'peers', verdict: 'named', detail: store.loadReport.error.message };
        const label = store.get(markerIdentity(laneSeed).nodeId)?.label;
        const found = label?.startsWith('gen-') ? Number(label.slice(4)) : undefined;
        const begun = progress.begun.get('peers');
        if (found !== undefined && begun !== undefined && found > begun) return { file: 'peers', verdict: 'lost', detail: `holds generation ${found}, never begun (last begun ${begun})` };
        if (found !== undefined && markerLabel(found) !== label) return { file: 'peers', verdict: 'unreadable', detail: `marker label ${label}` };
        return atLeast('peers', found, progress.done.get('peers'), 'generation');
      } finally {
        await store.close();
      }
    }),
  );

  const cachePath = join(dataDir, 'advertisements.json');
  checks.push(
    await check('adcache', [cachePath], async () => {
      let corrupt: CorruptFileError | undefined;
      const cache = new AdvertisementCache({ dataDir, clock: systemClock, crypto: nativeCrypto, onCorruptFile: (error) => (corrupt = error), ...(identity ? { selfNodeId: identity.nodeId } : {}) });
      const loaded = await cache.load();
      await cache.flush();
      if (corrupt) return { file: 'adcache', verdict: 'named', detail: corrupt.message };
      if (loaded.dropped > 0) return { file: 'adcache', verdict: 'lost', detail: `${loaded.dropped} entries no longer verify` };
      const found = cache.get(markerIdentity(laneSeed).nodeId)?.['sequence/no'];
      return atLeast('adcache', found, progress.done.get('adcache'), 'marker sequence');
    }),
  );

  const statePath = join(dataDir, ADVERTISEMENT_STATE_FILE);
  checks.push(
    await check('adv-seq', [statePath], async () => {
      if (!identity) return { file: 'adv-seq', verdict: 'unreadable', detail: 'no identity to sign with' };
      // The real path: the next advertisement reads the stored sequence and writes the one after it.
      const own = new OwnAdvertisement({ identity, dataDir, clock: systemClock });
      const next = await own.next([{ url: 'ws://127.0.0.1:9/peer', priority: 0 }]);
      return atLeast('adv-seq', next['sequence/no'] - 1, progress.done.get('adv-seq'), 'stored sequence');
    }),
  );

  const tracePath = traceLogPath(dataDir);
  checks.push(
    await check('trace', [tracePath], async () => {
      const read = await readTraceLog(tracePath, { includeRotated: true, limit: Number.MAX_SAFE_INTEGER });
      const seen = new Set<number>();
      for (const event of read.events) {
        const generation = event.detail?.['harden'];
        if (typeof generation === 'number') seen.add(generation);
      }
      const missing = progress.tracesThisTrial.filter((g) => !seen.has(g));
      if (missing.length > 0) return { file: 'trace', verdict: 'lost', detail: `${missing.length} completed trace lines missing (first ${missing[0]})` };
      return 'ok';
    }),
  );

  if (role === 'orchestrator') {
    const statePath = authorityStatePath(dataDir);
    const listPath = revocationListPath(dataDir);
    checks.push(
      await check('authority', [statePath, listPath, authorityRecordPath(dataDir)], async () => {
        // As the module opens it on a restart: the key (made when missing), the lock, the state.
        const opened = await openAuthority({ dataDir, crypto: nativeCrypto, clock: systemClock, warn: () => undefined, create: { kind: 'file' } });
        try {
          const state = await readAuthorityState(dataDir);
          const generations = state.tokens.map((t) => (t.label?.startsWith('gen-') ? Number(t.label.slice(4)) : -1));
          const found = generations.length > 0 ? Math.max(...generations) : undefined;
          if (existsSync(listPath)) {
            const list = verifyRevocationList(JSON.parse(await readFile(listPath, 'utf8')) as unknown, { crypto: nativeCrypto, trustedIssuers: [opened.key.fingerprint] });
            if (!list.ok) return { file: 'authority', verdict: 'unreadable', detail: `${listPath}: ${list.error.code} ${list.error.detail}` };
          }
          return atLeast('authority', found, progress.done.get('authority'), 'token generation');
        } finally {
          await opened.close();
        }
      }),
    );
    const adminPath = adminFilePath(dataDir);
    checks.push(
      await check('admin', [adminPath], async () => {
        if (!existsSync(adminPath)) return 'ok';
        const file = await readAdminFile(dataDir);
        if (identity && file.nodeId !== identity.nodeId) return { file: 'admin', verdict: 'lost', detail: `names ${file.nodeId}` };
        return 'ok';
      }),
    );
  }
  return { checks, identity };
}

/** The directory's log, loaded by DirectoryStore.open: no damaged line, every acknowledged row there. */
export async function checkDirectory(dataDir: string, progress: Progress): Promise<FileCheck[]> {
  const path = join(dataDir, 'directory', 'advertisements.log');
  return [
    await check('directory-log', [path], async () => {
      const store = await DirectoryStore.open({ dataDir, clock: systemClock, crypto: nativeCrypto });
      try {
        if (store.loadReport.corruptLines > 0) return { file: 'directory-log', verdict: 'unreadable', detail: `${store.loadReport.corruptLines} damaged lines` };
        const missing: string[] = [];
        for (const [nodeId, sequence] of progress.acked) if ((store.get(nodeId)?.sequence ?? -1) < sequence) missing.push(`${nodeId}@${sequence}`);
        if (missing.length > 0) return { file: 'directory-log', verdict: 'lost', detail: `${missing.length} acknowledged rows missing (first ${missing[0]})` };
        return 'ok';
      } finally {
        await store.close();
      }
    }),
  ];
}

