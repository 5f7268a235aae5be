import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { shellPaths } from './paths.js';

describe('shell paths', () => {
  it('finds everything beside the bundled main process', () => {
    const mainDir = resolve('/opt/app/resources/app.asar/dist/main');
    expect(shellPaths(mainDir)).toEqual({
      preload: join(mainDir, 'preload.cjs'),
      rendererRoot: resolve('/opt/app/resources/app.asar/dist/renderer'),
      iconsDir: join(mainDir, 'icons'),
      windowIcon: join(mainDir, 'icons', 'icon.png'),
      networksDir: resolve('/opt/app/resources/app.asar/dist/networks'),
      pnodeEntry: resolve('/opt/app/resources/app.asar/dist/pnode.js'),
    });
  });
});
