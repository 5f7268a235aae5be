// `npm run harden -- disk-full`: a failed write leaves no trace (issue 15 §6). Each store meets a
// disk that fills up: settings, the registration authority and identity imports at their write
// boundary (a real ENOSPC, at seeded moments), and the seed directory as a `pnode directory`
// process under a real file-size quota (RLIMIT_FSIZE: EFBIG, writes cut short). After every
// operation its answer, the store's memory and the disk are compared with a model that applies
// exactly what was answered as done; then the store is started again and compared once more.
// Figures: operations, attempted under a full disk, refused, and divergences (all must be 0).
// Needs the built binary (npm run build:node) for the directory.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { Rng, deriveSeed, scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { formatRows, grouped } from './lib/report.js';
import { packageRoot } from '../src-node/kernel/util/package-root.js';
import { canLimitFileSize } from '../tests/support/file-size-limit.js';
import { authorityOnFullDisk, identityOnFullDisk, settingsOnFullDisk, type DiskFullFigures } from './disk-full/stores.js';
import { directoryOnFullDisk } from './disk-full/directory-quota.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('disk-full', seed, scale);

/** Operations per store at scale 1. */
const SETTINGS_OPERATIONS = 2_000;
const AUTHORITY_OPERATIONS = 400;
const IDENTITY_IMPORTS = 100;
/** The directory: publishers × rounds PUTs, well past its quota. */
const DIRECTORY_PUBLISHERS = 60;
const DIRECTORY_ROUNDS = 4;

const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-disk-full-'));
const results: DiskFullFigures[] = [];
const say = (line: string): void => void process.stdout.write(`${line}\n`);
try {
  const dir = (name: string): string => join(workDir, name);
  say('settings (full disk at the write boundary) …');
  results.push(await settingsOnFullDisk(dir('settings'), scaled(SETTINGS_OPERATIONS, scale), new Rng(deriveSeed(seed, 'settings'))));
  say('registration authority (full disk at the write boundary) …');
  results.push(await authorityOnFullDisk(dir('authority'), scaled(AUTHORITY_OPERATIONS, scale), new Rng(deriveSeed(seed, 'authority'))));
  say('identity imports (full disk at the record) …');
  results.push(await identityOnFullDisk(dir('identity'), scaled(IDENTITY_IMPORTS, scale)));
  if (canLimitFileSize() && existsSync(join(packageRoot(), 'dist', 'pnode.js'))) {
    say('seed directory (pnode directory under a file-size quota) …');
    const directory = await directoryOnFullDisk(dir('directory'), scaled(DIRECTORY_PUBLISHERS, scale, 8), scaled(DIRECTORY_ROUNDS, scale, 2));
    say(`  answers: ${Object.entries(directory.answers).map(([status, n]) => `${status} × ${n}`).join(', ')}`);
    results.push(directory);
  } else {
    say('seed directory: skipped (needs a POSIX shell and dist/pnode.js: npm run build:node)');
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const rows = results.map((r) => [r.store, grouped(r.operations), grouped(r.underFullDisk), grouped(r.refused), grouped(r.answerVsMemory), grouped(r.memoryVsDisk), grouped(r.afterRestart)]);
say('');
say(formatRows(['store', 'operations', 'under a full disk', 'refused', 'answer≠memory', 'memory≠disk', 'after restart'], rows));
for (const r of results) for (const line of r.notes) say(`  ${r.store}: ${line}`);
const divergences = results.reduce((n, r) => n + r.answerVsMemory + r.memoryVsDisk + r.afterRestart, 0);
const attempted = results.reduce((n, r) => n + r.underFullDisk, 0);
say('');
say(`${grouped(attempted)} operations attempted under a full disk, ${divergences} divergences between answer, memory and disk (goal 0)`);
if (divergences > 0) process.exitCode = 1;
