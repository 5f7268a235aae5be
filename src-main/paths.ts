// Where the shell finds its files at run time. Everything sits beside the bundled main process
// (dist/main), in development and in the packaged app (…/app.asar/dist/main) alike.
import { join, resolve } from 'node:path';

export interface ShellPaths {
  readonly preload: string;
  /** The built renderer (index.html and assets), served as app://pnode/. */
  readonly rendererRoot: string;
  /** Tray icons and the window icon, copied here by scripts/build-main.mjs. */
  readonly iconsDir: string;
  readonly windowIcon: string;
  /** The build's networks in development (dist/networks); a packaged app reads its resources' copy. */
  readonly networksDir: string;
  /** The bundled `pnode` (dist/pnode.js): the local test network's services run it. */
  readonly pnodeEntry: string;
}

export function shellPaths(mainDir: string): ShellPaths {
  const iconsDir = join(mainDir, 'icons');
  return {
    preload: join(mainDir, 'preload.cjs'),
    rendererRoot: resolve(mainDir, '..', 'renderer'),
    iconsDir,
    windowIcon: join(iconsDir, 'icon.png'),
    networksDir: resolve(mainDir, '..', 'networks'),
    pnodeEntry: resolve(mainDir, '..', 'pnode.js'),
  };
}
