#!/usr/bin/env node
// The network a build of PNode Desktop offers on first run (issue 12 §1), chosen when it is built:
//   node scripts/build-networks.mjs [--network <descriptor.json> | --none] [--allow-unreachable]
// or, in `npm run build`, PNODE_BUILD_DEFAULT_NETWORK=<descriptor.json> (a build-time setting; the
// installed app reads no environment). It writes dist/networks/default.json (electron-builder copies
// dist/networks into the app's resources; `pnode node` reads it too), after checking the descriptor
// with `pnode network show` (signature, validity) and `pnode network doctor` (every service it names
// answers and is who it says): a build never ships a descriptor naming servers that do not exist.
// --allow-unreachable skips the doctor, loudly (a build made where the network cannot be reached).
// Without a network, dist/networks is left empty.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const outDir = resolve(option('--out-dir') ?? join(ROOT, 'dist', 'networks'));
const none = argv.includes('--none');
const chosen = none ? undefined : (option('--network') ?? process.env.PNODE_BUILD_DEFAULT_NETWORK);
const target = join(outDir, 'default.json');

mkdirSync(outDir, { recursive: true });
rmSync(target, { force: true });
if (!chosen) {
  console.log(`no default network: ${outDir} is empty (first run offers an invite and "Try it on this computer")`);
  process.exit(0);
}

const descriptor = resolve(chosen);
const pnode = (args) => spawnSync(process.execPath, [join(ROOT, 'bin', 'pnode.js'), ...args], { encoding: 'utf8' });
const shown = pnode(['network', 'show', descriptor]);
if (shown.status !== 0) {
  console.error(`the default network ${descriptor} is refused:\n${shown.stderr || shown.stdout}`);
  process.exit(1);
}
if (argv.includes('--allow-unreachable')) {
  console.warn(`warning: ${descriptor} ships without checking that its services answer (--allow-unreachable)`);
} else {
  const doctor = pnode(['network', 'doctor', descriptor]);
  if (doctor.status !== 0) {
    console.error(`the default network's services do not all answer; a build never ships a descriptor naming servers that do not exist:\n${doctor.stdout}${doctor.stderr}`);
    process.exit(1);
  }
}
copyFileSync(descriptor, target);
console.log(`default network: ${shown.stdout.split('\n').find((l) => l.startsWith('network/name'))?.replace(/\s+/g, ' ') ?? descriptor} → ${target}`);
