// `npm run harden -- directory-full`: a seed directory that stays useful when full (issue 15 §3).
// The real store and server in a child process at the production caps (DIRECTORY_MAX_ENTRIES,
// DIRECTORY_MAX_STORED_BYTES), flooded by many identities from many 127.x.y.z addresses (in a few
// /24s, each at the per-IP PUT rate) with advertisements padded to the largest row, while honest
// newcomers PUT and read back theirs; then the endpoint URLs the gate must refuse; then SIGKILL and
// restart. Prints the attacker's resources, honest success while full, honest rows kept, memory,
// the log size and the restart time (the issue measured 1.75 GB RSS and a 26 s restart before).
//
// Run: `npm run harden -- directory-full` (about 2 minutes at scale 1).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { deriveSeed, scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { failedMustHold, formatGoals } from './faults/goals.js';
import { runDirectoryFull } from './hostile/directory-full.js';
import { directoryFullGoals, formatDirectoryFull } from './hostile/report.js';
import { loopbackRangeUsable } from './hostile/loopback.js';
import { DIRECTORY_MAX_ENTRIES, DIRECTORY_MAX_STORED_BYTES } from '../src-node/services/directory/directory-store.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('directory-full', seed, scale);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-directory-full-'));
try {
  // At scale 1 the production caps; smaller scales shrink the budget and the flood together.
  const maxStoredBytes = scale >= 1 ? DIRECTORY_MAX_STORED_BYTES : scaled(DIRECTORY_MAX_STORED_BYTES, scale, 256 * 1024);
  const result = await runDirectoryFull({
    workDir,
    maxEntries: DIRECTORY_MAX_ENTRIES,
    maxStoredBytes,
    addresses: scaled(128, scale, 8),
    perPrefix: 32,
    // Enough padded rows to fill the budget one and a half times over.
    identities: Math.ceil((1.5 * maxStoredBytes) / 4_000),
    maxFloodMs: scaled(180_000, scale, 20_000),
    afterMs: scaled(10_000, scale, 2_000),
    honestEveryMs: 100,
    badUrlAttempts: scaled(25, scale, 2),
    loopbackRange: await loopbackRangeUsable(),
    seed: deriveSeed(seed, 'directory-full'),
    log: say,
  });
  say(`\n${formatDirectoryFull(result)}`);
  const goals = directoryFullGoals(result);
  say(`\n=== Goals (seed ${seed}, scale ${scale}) ===\n${formatGoals(goals)}`);
  if (failedMustHold(goals).length > 0) process.exitCode = 1;
} finally {
  await rm(workDir, { recursive: true, force: true });
}
