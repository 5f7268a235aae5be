// Finds the installed package's root (where package.json and dist/ live) from this module's
// location, whether running bundled (dist/pnode.js) or from source (vitest).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'pnode-desktop';
const MAX_LEVELS = 8;

export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let i = 0; i < MAX_LEVELS; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // Keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
}

/** The built renderer (`npm run build:renderer`), served by `--ui`. */
export function rendererDir(): string {
  return join(packageRoot(), 'dist', 'renderer');
}
