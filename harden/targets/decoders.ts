// Fuzz targets of the other decoders, driven in-process: VNode workloads, tasks, results, module
// chunks (with the assembler) and WebAssembly modules; the control server's command parser;
// identity import files (passphrase-encrypted backups) and the on-disk identity (record and key
// file, through the real loader); the CLI's network texts (PSK, node@url); network invites; and the tolerant
// readers of peers.json and settings.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { CommandValidationError, parseCommand } from '../../src-shared/control/commands.js';
import { decodeTask, decodeWorkload } from '../../src-shared/vnode/workload.js';
import { decodeTaskResult } from '../../src-shared/vnode/task-result.js';
import { ModuleAssembler, decodeModuleChunk } from '../../src-shared/vnode/module-chunks.js';
import { contentHash } from '../../src-shared/vnode/content-hash.js';
import { planModule } from '../../src-shared/vnode/module-plan.js';
import { DAY_MS, buildNetworkDescriptor, parseNodeAtUrl, parsePsk } from '../../src-shared/network/network-descriptor.js';
import { acceptNetworkDescriptor, httpsInviteLink, inviteLink, parseInvite, referenceInviteLink } from '../../src-shared/network/invite.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { importIdentity, parseBackup } from '../../src-node/kernel/identity/backup.js';
import { IdentityError } from '../../src-node/kernel/identity/identity-error.js';
import { loadIdentity } from '../../src-node/kernel/identity/identity-store.js';
import { FileKeystore, KEY_FILE_KIND } from '../../src-node/kernel/identity/file-keystore.js';
import { identityDirPath, identityRecordPath, keyFilePath } from '../../src-node/kernel/identity/identity-paths.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { decodePeersFile, encodePeersFile } from '../../src-node/kernel/peers/peers-file.js';
import { decodeSettings } from '../../src-node/kernel/runtime/settings.js';
import { jsonText } from '../../src-node/kernel/storage/atomic-file.js';
import { BACKUP_PASSPHRASE, CAPTURE_NOW, type Captures } from '../lib/captures.js';
import { byteStreams, mix, parseJsonBytes, valueStreams } from '../lib/inputs.js';
import { mutateBytes } from '../lib/mutate-bytes.js';
import { toJsonText, type JsonLike } from '../lib/mutate-json.js';
import { Rng, deriveSeed } from '../lib/random.js';
import type { FuzzTarget, Verdict } from '../lib/fuzz.js';
import { defineTarget, resultOutcome, session } from './common.js';

const NOT_JSON = Symbol('not-json');

/** A value stream target over a Result-returning decoder: captures mutated, re-parsed text, generated. */
function valueDecoderTarget(options: { name: string; drives: string; sources: string; captures: (c: Captures) => readonly unknown[]; decode: (value: unknown, c: Captures) => string | Verdict }): FuzzTarget {
  return defineTarget({
    name: options.name,
    drives: options.drives,
    sources: options.sources,
    open: (context, c) => {
      const values = valueStreams(context.seed, options.captures(c));
      const next = mix<unknown>([
        [2, 'capture', values.capture],
        [68, 'mutated', values.mutated],
        [10, 'mutated-text', (rng) => {
          const parsed = parseJsonBytes(values.mutatedText(rng));
          return parsed.ok ? parsed.value : NOT_JSON;
        }],
        [14, 'generated', values.shaped],
        [6, 'generated', values.anything],
      ]);
      return session<unknown>(
        (rng) => next(rng),
        (input) => (input === NOT_JSON ? 'not-json' : options.decode(input, c)),
      );
    },
  });
}

const workload = valueDecoderTarget({
  name: 'vnode:workload',
  drives: 'decodeWorkload (pnode-workload.v1: closed object, content hash, entry name, sizes, base64url input, needs)',
  sources: 'workloads of the demo modules (mandelbrot, primes) encoded by encodeWorkload, mutated; fast-check objects with their keys; any JSON value',
  captures: (c) => c.workloads,
  decode: (value) => resultOutcome(decodeWorkload(value)),
});

const task = valueDecoderTarget({
  name: 'vnode:task',
  drives: 'decodeTask (task id, VNode id, and the workload inside)',
  sources: 'tasks encoded by encodeTask, mutated; fast-check objects with their keys; any JSON value',
  captures: (c) => c.tasks,
  decode: (value) => resultOutcome(decodeTask(value)),
});

const taskResult = valueDecoderTarget({
  name: 'vnode:task-result',
  drives: 'decodeTaskResult (status, output and its hash, detail, times)',
  sources: 'results made by makeTaskResult (ok with output, ok empty, timeout) encoded, mutated; fast-check objects with their keys; any JSON value',
  captures: (c) => c.results,
  decode: (value) => {
    const result = decodeTaskResult(value);
    if (!result.ok) return result.error.code;
    const { output, outputHash } = result.value;
    if (output !== null && outputHash !== contentHash(output)) return { outcome: 'ok', violation: 'an ok result was accepted with a hash that is not its output\'s' };
    return 'ok';
  },
});

const moduleChunks = defineTarget({
  name: 'vnode:module-chunks',
  drives: 'decodeModuleChunk and ModuleAssembler.add (chunk layout, lengths, repeats, the assembled hash)',
  sources: 'the chunk sequences of two demo modules and a 100 kB module cut by splitModule, with chunks mutated, dropped, repeated, reordered or taken from another module; fast-check chunk-shaped objects',
  open: (context, c) => {
    const all = c.chunkSets.flat();
    const values = valueStreams(context.seed, all);
    const sequence = (rng: Rng): unknown[] => [...rng.pick(c.chunkSets)].map((chunk) => structuredClone(chunk));
    const next = mix<unknown[]>([
      [3, 'capture', sequence],
      [45, 'mutated', (rng) => {
        const list = sequence(rng);
        list[rng.int(list.length)] = values.mutated(rng);
        return list;
      }],
      [20, 'mutated', (rng) => {
        const list = sequence(rng);
        const op = rng.int(4);
        const i = rng.int(list.length);
        if (op === 0) list.splice(i, 1);
        else if (op === 1) list.splice(i, 0, list[i]);
        else if (op === 2) list.reverse();
        else list.splice(i, 0, structuredClone(rng.pick(all)));
        return list;
      }],
      [20, 'generated', (rng) => Array.from({ length: 1 + rng.int(4) }, () => values.shaped(rng))],
      [12, 'generated', (rng) => [values.anything(rng)]],
    ]);
    return session<unknown[]>(
      (rng) => next(rng),
      (input): string | Verdict => {
        let assembler: ModuleAssembler | undefined;
        let last = 'empty';
        for (const wire of input) {
          const chunk = decodeModuleChunk(wire);
          if (!chunk.ok) return chunk.error.code;
          try {
            assembler ??= ModuleAssembler.forChunk(chunk.value);
          } catch (error) {
            if (error instanceof ProtocolError) return error.code;
            throw error;
          }
          const added = assembler.add(chunk.value);
          if (!added.ok) return added.error.code;
          last = added.value.complete ? 'complete' : 'incomplete';
          if (added.value.complete && contentHash(added.value.bytes) !== assembler.moduleHash) return { outcome: 'complete', violation: 'assembled bytes do not hash to the announced hash' };
        }
        return last;
      },
    );
  },
});

const wasmModules = defineTarget({
  name: 'vnode:wasm-module',
  drives: 'planModule (inspectModule: the WebAssembly binary reader, then the host-API, memory and entry checks)',
  sources: 'the demo modules built from WAT (mandelbrot, primes), byte-mutated (LEB128 lengths, section sizes, vector counts, truncation, splices); random bytes',
  open: (context, c) => {
    const modules = c.wasmModules.map((m) => m.bytes);
    const bytes = byteStreams(context.seed, modules);
    const entryOf = (rng: Rng): string => rng.pick([...c.wasmModules.map((m) => m.entry), 'run', '']);
    const next = mix<{ bytes: Uint8Array; entry: string }>([
      [2, 'capture', (rng) => {
        const module = rng.pick(c.wasmModules);
        return { bytes: module.bytes.slice(), entry: module.entry };
      }],
      [85, 'mutated', (rng) => ({ bytes: bytes.mutated(rng), entry: entryOf(rng) })],
      [13, 'generated', (rng) => {
        const random = bytes.generated(rng);
        // Mostly past the magic and version, so the section reader is reached.
        return { bytes: rng.chance(0.8) ? Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...random]) : random, entry: entryOf(rng) };
      }],
    ]);
    return session<{ bytes: Uint8Array; entry: string }>(
      (rng) => next(rng),
      (input) => {
        const plan = planModule(input.bytes, input.entry, 64);
        return plan.ok ? 'ok' : `refused:${plan.refusal.status}`;
      },
      { show: (input) => ({ entry: input.entry, hex: Buffer.from(input.bytes).toString('hex') }) },
    );
  },
});

const controlCommands = defineTarget({
  name: 'control:parse-command',
  drives: 'parseCommand (every control command: names, fields, types, ranges, node ids, URLs, lengths)',
  sources: 'one well-formed command of each of the 23 kinds, mutated structurally and as JSON text; fast-check objects with their keys; any JSON value',
  open: (context, c) => {
    const values = valueStreams(context.seed, c.commands);
    const next = mix<unknown>([
      [2, 'capture', values.capture],
      [68, 'mutated', values.mutated],
      [10, 'mutated-text', (rng) => {
        const parsed = parseJsonBytes(values.mutatedText(rng));
        return parsed.ok ? parsed.value : NOT_JSON;
      }],
      [14, 'generated', values.shaped],
      [6, 'generated', values.anything],
    ]);
    return session<unknown>(
      (rng) => next(rng),
      (input) => {
        if (input === NOT_JSON) return 'not-json';
        try {
          parseCommand(input);
          return 'ok';
        } catch (error) {
          if (error instanceof CommandValidationError) return 'invalid-command';
          throw error;
        }
      },
    );
  },
});

/** Full imports (scrypt, about 0.1 s each) per 100,000 inputs: the rest stop at parseBackup. */
const BACKUP_IMPORTS_FULL = 60;

const identityBackups = defineTarget({
  name: 'identity:backup',
  drives: 'parseBackup for every input, and importIdentity (scrypt cost bounds, AEAD with the header as associated data, key ↔ node id) for a sample of those that parse',
  sources: 'real backups made by sealBackup (ASCII and unicode passphrases), mutated structurally and as text; fast-check objects with their keys; any text',
  timeLimitMs: 20_000,
  open: (context, c) => {
    const parsed = c.backups.map((b) => JSON.parse(b) as JsonLike);
    const values = valueStreams(context.seed, parsed);
    const next = mix<{ text: string; passphrase: string }>([
      [2, 'capture', (rng) => ({ text: rng.pick(c.backups), passphrase: rng.pick([BACKUP_PASSPHRASE, 'ünïcødé pässphräse ✓', 'wrong passphrase']) })],
      [60, 'mutated', (rng) => ({ text: toJsonText(values.mutated(rng)), passphrase: BACKUP_PASSPHRASE })],
      [20, 'mutated-text', (rng) => ({ text: Buffer.from(values.mutatedText(rng)).toString('utf8'), passphrase: BACKUP_PASSPHRASE })],
      [12, 'generated', (rng) => ({ text: toJsonText(values.shaped(rng)), passphrase: BACKUP_PASSPHRASE })],
      [6, 'generated', (rng) => ({ text: values.generatedText(rng), passphrase: values.generatedText(rng) })],
    ]);
    const importBudget = { left: Math.max(4, Math.round(BACKUP_IMPORTS_FULL * context.scale)) };
    const ours = new Set([c.identities.a.nodeId, c.identities.c.nodeId]);
    return session<{ text: string; passphrase: string }>(
      (rng) => next(rng),
      (input): string | Verdict | Promise<string | Verdict> => {
        try {
          parseBackup(input.text);
        } catch (error) {
          if (error instanceof ProtocolError) return error.code;
          throw error;
        }
        if (importBudget.left <= 0) return 'parsed';
        importBudget.left--;
        return importIdentity(input.text, input.passphrase, { crypto: nativeCrypto }).then(
          (imported): string | Verdict => {
            imported.seed.fill(0);
            return ours.has(imported.nodeId) ? 'imported' : { outcome: 'imported', violation: `imported a key we never exported (${imported.nodeId})` };
          },
          (error: unknown) => {
            if (error instanceof IdentityError) return `identity:${error.code}`;
            if (error instanceof ProtocolError) return error.code;
            throw error;
          },
        );
      },
    );
  },
});

/** IdentityError codes that are about a file: the error must name it. */
const FILE_ERRORS = new Set(['identity-corrupt', 'identity-inactive', 'identity-key-missing', 'identity-mismatch', 'keystore-corrupt', 'keystore-conflict']);

const identityFiles = defineTarget({
  name: 'identity:files',
  drives: 'loadIdentity with the file keystore (readIdentityRecord: size, JSON, status, schema gate, id/key binding; the key file: kind, seed, seed ↔ node id; record ↔ key)',
  sources: "the node's real identity record and key file (as written by the node), one or both mutated structurally or as bytes, or missing; generated text",
  open: (context, c) => {
    const dataDir = mkdtempSync(join(context.workDir, 'identity-'));
    mkdirSync(identityDirPath(dataDir), { recursive: true });
    const a = c.identities.a;
    const keyRecord = { 'schema/v': 1, kind: KEY_FILE_KIND, 'node/id': a.nodeId, 'key/alg': 'ed25519', 'secret/seed': toBase64url(new Rng(deriveSeed(c.seed, 'identity-a')).bytes(32)) };
    const recordText = new TextEncoder().encode(jsonText(a.record));
    const keyText = new TextEncoder().encode(jsonText(keyRecord));
    const records = valueStreams(deriveSeed(context.seed, 'record'), [a.record]);
    const keys = valueStreams(deriveSeed(context.seed, 'key'), [keyRecord]);
    const file = (rng: Rng, original: Uint8Array, values: typeof records): Uint8Array | null =>
      rng.weighted<() => Uint8Array | null>([
        [3, () => original],
        [3, () => new TextEncoder().encode(toJsonText(values.mutated(rng)))],
        [2, () => mutateBytes(rng, original, [recordText, keyText])],
        [1, () => null],
        [1, () => new TextEncoder().encode(toJsonText(values.shaped(rng)))],
      ])();
    const next = mix<{ record: Uint8Array | null; key: Uint8Array | null }>([
      [2, 'capture', () => ({ record: recordText, key: keyText })],
      [40, 'mutated', (rng) => ({ record: file(rng, recordText, records), key: keyText })],
      [30, 'mutated', (rng) => ({ record: recordText, key: file(rng, keyText, keys) })],
      [20, 'mutated', (rng) => ({ record: file(rng, recordText, records), key: file(rng, keyText, keys) })],
      [8, 'generated', (rng) => ({ record: new TextEncoder().encode(records.generatedText(rng)), key: rng.chance(0.5) ? keyText : new TextEncoder().encode(keys.generatedText(rng)) })],
    ]);
    const put = (path: string, bytes: Uint8Array | null): void => {
      if (bytes === null) rmSync(path, { force: true });
      else writeFileSync(path, bytes, { mode: 0o600 });
    };
    writeFileSync(identityRecordPath(dataDir), recordText);
    return session<{ record: Uint8Array | null; key: Uint8Array | null }>(
      (rng) => next(rng),
      async (input): Promise<string | Verdict> => {
        put(identityRecordPath(dataDir), input.record);
        put(keyFilePath(dataDir), input.key);
        try {
          const loaded = await loadIdentity({ dataDir, keystore: new FileKeystore({ dataDir, crypto: nativeCrypto }), crypto: nativeCrypto });
          return loaded.identity.nodeId === a.nodeId ? 'ok' : { outcome: 'ok', violation: `loaded another identity (${loaded.identity.nodeId})` };
        } catch (error) {
          if (error instanceof IdentityError) {
            if (FILE_ERRORS.has(error.code) && error.path === undefined) return { outcome: `identity:${error.code}`, violation: `${error.code} names no file: ${error.message}` };
            return `identity:${error.code}`;
          }
          throw error;
        }
      },
      { close: () => rmSync(dataDir, { recursive: true, force: true }) },
    );
  },
});

const networkText = defineTarget({
  name: 'network:cli-text',
  drives: 'parsePsk (64 hex digits or base64url, exactly 32 bytes) and parseNodeAtUrl (<node-id>@<ws url>)',
  sources: 'a real formatted PSK and node@url texts of real ids, byte-mutated; generated text',
  open: (context, c) => {
    const texts = [c.pskText, c.pskText.trim(), toBase64url(c.psk), `${c.identities.a.nodeId}@wss://seed.example:7443/peer`, `${c.identities.c.nodeId}@ws://127.0.0.1:7001/peer`];
    const bytes = byteStreams(context.seed, texts.map((t) => new TextEncoder().encode(t)));
    const values = valueStreams(context.seed, texts);
    const next = mix<string>([
      [2, 'capture', (rng) => rng.pick(texts)],
      [78, 'mutated', (rng) => Buffer.from(bytes.mutated(rng)).toString('utf8')],
      [20, 'generated', (rng) => values.generatedText(rng)],
    ]);
    return session<string>(
      (rng) => next(rng),
      (input) => `psk:${resultOutcome(parsePsk(input))} node@url:${resultOutcome(parseNodeAtUrl(input))}`,
    );
  },
});

/** A real signed descriptor for the invite target (the owner key is fixed: the stream is reproducible). */
function sampleInvites(c: Captures): string[] {
  const owner = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(0x5a));
  const built = buildNetworkDescriptor(
    {
      id: 'net:fuzz-lab',
      name: 'Fuzz lab',
      seeds: [{ nodeId: c.identities.a.nodeId, url: 'wss://seed.example:7443/peer' }],
      directories: ['https://directory.example.org/networks/net:fuzz-lab'],
      orchestrators: [{ nodeId: c.identities.c.nodeId, url: 'wss://orchestrator.example.org/peer' }],
      joinPolicy: 'psk',
      pskHint: 'ask the lab',
      createdAt: CAPTURE_NOW,
      validForMs: 30 * DAY_MS,
    },
    owner,
    nativeCrypto,
  );
  if (!built.ok) throw built.error;
  const link = inviteLink(built.value);
  return [link, httpsInviteLink('https://example.org/join', link), referenceInviteLink('https://example.org/lab.json', built.value, nativeCrypto)];
}

const invites = defineTarget({
  name: 'network:invite',
  drives: 'parseInvite (pnode://join/ d1 and u1 links, the https page form; bounded) and, for d1, acceptNetworkDescriptor (schema, signature, owner, validity window)',
  sources: 'real invite links of a signed descriptor in the three forms, byte-mutated; generated text',
  open: (context, c) => {
    const texts = sampleInvites(c);
    const bytes = byteStreams(context.seed, texts.map((t) => new TextEncoder().encode(t)));
    const values = valueStreams(context.seed, texts);
    const next = mix<string>([
      [2, 'capture', (rng) => rng.pick(texts)],
      [78, 'mutated', (rng) => Buffer.from(bytes.mutated(rng)).toString('utf8')],
      [20, 'generated', (rng) => values.generatedText(rng)],
    ]);
    return session<string>(
      (rng) => next(rng),
      (input) => {
        const parsed = parseInvite(input);
        if (!parsed.ok || parsed.value.kind === 'reference') return `invite:${resultOutcome(parsed)}`;
        return `descriptor:${resultOutcome(acceptNetworkDescriptor(parsed.value.descriptor, { crypto: nativeCrypto, now: CAPTURE_NOW }))}`;
      },
    );
  },
});

const peersFile = valueDecoderTarget({
  name: 'files:peers.json',
  drives: 'decodePeersFile (every stored peer field checked; a bad record is reported, never half-trusted), and the records it keeps encode and decode again unchanged',
  sources: 'a peers.json written by a real PeerStore (a seed and gossip peers with advertisements), mutated; fast-check objects with its keys; any JSON value',
  captures: (c) => c.peersFiles,
  decode: (value) => {
    const decoded = decodePeersFile(value, CAPTURE_NOW);
    const again = decodePeersFile(JSON.parse(encodePeersFile(decoded.records, CAPTURE_NOW)) as unknown, CAPTURE_NOW);
    if (again.problem !== null || again.records.length !== decoded.records.length) return { outcome: 'reread', violation: `records kept from a file do not survive being saved: ${again.problem ?? 'records lost'}` };
    return decoded.problem === null ? 'ok' : 'problem-reported';
  },
});

const settingsFile = valueDecoderTarget({
  name: 'files:settings.json',
  drives: 'decodeSettings (field by field, a field that does not fit falls back to its default), and what it answers reads back the same',
  sources: 'settings files as the node writes them (defaults, and one with seeds, directories and an allowlist), mutated; fast-check objects with their keys; any JSON value',
  captures: (c) => c.settingsFiles,
  decode: (value) => {
    const settings = decodeSettings(value);
    const again = decodeSettings(JSON.parse(jsonText(settings)) as unknown);
    return jsonText(again) === jsonText(settings) ? 'ok' : { outcome: 'ok', violation: 'decoded settings do not read back the same' };
  },
});

export const DECODER_TARGETS: readonly FuzzTarget[] = [workload, task, taskResult, moduleChunks, wasmModules, controlCommands, identityBackups, identityFiles, networkText, invites, peersFile, settingsFile];

