// `npm run harden -- secrets`: issue 8 §5 at a larger scale than the test in `npm test`
// (tests/harden/secrets.test.ts). One devnet on loopback with SECRETS_NODES contributors and one
// more node on the OS keychain (where one answers); SECRETS_CONTROLLED of them are driven through
// the control contract (export + import, enroll, SECRETS_ROUNDS renew + rotate rounds each); the
// network works for SECRETS_WORK_MS; a node is SIGKILLed and restarted into a start-up failure;
// then every file and every captured message is scanned for every key in every encoding
// (harden/secrets/). Figures: keys, needles per key, files and bytes scanned, messages and bytes
// scanned, hits in the allowed key files, and what must be 0: leaks, files not scanned, key files
// not named by a record, allowed files where their key was not seen, rotated keys still stored.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printHeader } from './lib/environment.js';
import { formatRows, grouped } from './lib/report.js';
import { scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { runSecretsScenario } from './secrets/scenario.js';
import { describeHit } from './secrets/scanner.js';

/** Contributors of the devnet at scale 1. */
export const SECRETS_NODES = 8;
/** Contributors driven through the control contract at scale 1 (besides the keychain node). */
export const SECRETS_CONTROLLED = 4;
/** renew + rotate rounds per driven node at scale 1. */
export const SECRETS_ROUNDS = 5;
/** How long the network works at scale 1. */
export const SECRETS_WORK_MS = 30_000;

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('secrets', seed, scale);
const nodes = scaled(SECRETS_NODES, scale, 2);
const controlled = Math.min(nodes - 1, scaled(SECRETS_CONTROLLED, scale, 1));
const rounds = scaled(SECRETS_ROUNDS, scale, 1);
const workMs = scaled(SECRETS_WORK_MS, scale, 2_000);

// The devnet runs bin/pnode.js: build it first, so this never scans what stale code did.
execFileSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'inherit' });
const dir = await mkdtemp(join(tmpdir(), 'pnode-harden-secrets-'));
const started = Date.now();
try {
  const result = await runSecretsScenario({
    pnodeBin: resolve('bin', 'pnode.js'),
    dir,
    nodes,
    controlled,
    rounds,
    workMs,
    log: (line) => process.stdout.write(`  ${line}\n`),
  });
  const { totals, verdict } = result;
  const stray = result.keyFilesOnDisk.filter((f) => !result.allowed.some((a) => a.path === f));
  const mustBeZero = {
    leaks: verdict.leaks.length,
    'not scanned': totals.skipped.length,
    'stray key files': stray.length,
    'allowed but unseen': verdict.unseen.length,
    'rotated keys still stored': result.retiredKeysLeft.length,
  };
  const rows: string[][] = [
    ['processes', grouped(result.processes)],
    ['keys (rotated away)', `${grouped(result.keys.length)} (${grouped(result.keys.filter((k) => k.retired).length)})`],
    ['needles per key', `${result.needlesPerKey.min}–${result.needlesPerKey.max}`],
    ['files scanned', grouped(totals.files)],
    ['bytes of files', grouped(totals.fileBytes)],
    ['messages scanned', grouped(totals.messages)],
    ['  of them control messages', grouped(result.controlMessages)],
    ['bytes of messages', grouped(totals.messageBytes)],
    ['hits in allowed key files', `${grouped(verdict.allowedHits.length)} in ${grouped(result.allowed.length)} files`],
    ...Object.entries(mustBeZero).map(([name, n]) => [`${name} (must be 0)`, grouped(n)]),
    ['seconds', ((Date.now() - started) / 1000).toFixed(1)],
  ];
  const keychain = result.keychain.available ? 'OS keychain available: the keychain node keeps its keys there' : `OS keychain unavailable (${result.keychain.reason}): every key is in the file keystore`;
  process.stdout.write(`\nSecrets, scale ${scale}: ${nodes} contributors + 1 keychain node, ${controlled + 1} driven, ${rounds} rotation rounds, ${workMs} ms of work\n${keychain}\n\n${formatRows(['figure', 'value'], rows)}\n`);
  process.stdout.write(`\nAllowed (the file keystore's own files):\n${result.allowed.map((a) => `  ${a.path.slice(dir.length + 1)}  (${a.key})`).join('\n') || '  none'}\n`);
  const problems = [...verdict.leaks.map(describeHit), ...totals.skipped.map((s) => `not scanned: ${s.source} (${s.reason})`), ...stray.map((f) => `stray key file: ${f}`), ...verdict.unseen.map((u) => `unseen: ${u.key} in ${u.path}`), ...result.retiredKeysLeft.map((k) => `still stored: ${k}`)];
  if (problems.length > 0) {
    process.stdout.write(`\nFAILED:\n${problems.slice(0, 50).map((p) => `  ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('\nNo key outside its keystore: not in any file, log, trace, control message, HTTP answer or crash output.\n');
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
