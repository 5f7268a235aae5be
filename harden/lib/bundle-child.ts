// Child processes of the harness (the crash writer, the flooder) run from a bundle: the harness
// itself may run bundled, away from its sources, so each child is bundled from its entry on demand.
import { build } from 'esbuild';
import { join } from 'node:path';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';

export interface ChildEntry {
  /** Folder under harden/ that holds the module, e.g. 'crash'. */
  readonly dir: string;
  /** The module file in it, e.g. 'writer.ts'. */
  readonly module: string;
  /** Its exported function that takes the child's arguments. */
  readonly run: string;
}

/** Bundles a child whose main is `await <run>(process.argv.slice(2))` into `outfile` (dependencies stay external: run it from inside the repo). */
export async function bundleChild(entry: ChildEntry, outfile: string): Promise<void> {
  await build({
    stdin: {
      // The child holds its lifeline from its first line (scripts/lib/hold-lifeline.mjs).
      contents: `import '../../scripts/lib/hold-lifeline.mjs';\nimport { ${entry.run} } from './${entry.module}';\nawait ${entry.run}(process.argv.slice(2));\n`,
      resolveDir: join(packageRoot(), 'harden', entry.dir),
      sourcefile: `${entry.dir}-${entry.module.replace(/\.ts$/, '')}-entry.ts`,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    // Bundled ESM has no `require`; some dependencies still call it.
    banner: { js: "import { createRequire as __hardenCreateRequire } from 'node:module'; const require = __hardenCreateRequire(import.meta.url);" },
  });
}
