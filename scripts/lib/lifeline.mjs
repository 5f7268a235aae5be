// The scripts (npm start, the bench and harden runners) supervise their children with the same
// module as the product, src-node/kernel/process/lifeline.ts: bundled here on demand with esbuild
// (a dev dependency, like everything under scripts/) and imported from memory, so two scripts
// running at once never read each other's half-written copy.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The module's source. */
export const LIFELINE_SOURCE = join(ROOT, 'src-node', 'kernel', 'process', 'lifeline.ts');
/** A file to `inject` into a bundled child: it holds its lifeline from the first line on. */
export const HOLD_LIFELINE_ENTRY = join(ROOT, 'scripts', 'lib', 'hold-lifeline.mjs');

/** The lifeline module (spawnSupervised, holdLifeline, …). */
export async function loadLifeline() {
  const result = await build({ entryPoints: [LIFELINE_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'error' });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}
