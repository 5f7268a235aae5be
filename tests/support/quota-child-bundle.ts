// quota-child.ts bundled into one file, once per test process, for spawnWithFileSizeLimit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export type { QuotaLine } from './quota-child.js';

let bundled: Promise<string> | undefined;

/** The path of the bundled quota child (built on first use). */
export function quotaChild(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'pnode-quota-child-')), 'quota-child.mjs');
    await build({
      stdin: {
        contents: "import '../../scripts/lib/hold-lifeline.mjs';\nimport { runQuotaChild } from './quota-child.ts';\nawait runQuotaChild(process.argv.slice(2));\n",
        resolveDir: dirname(fileURLToPath(import.meta.url)),
        sourcefile: 'quota-entry.ts',
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })();
  return bundled;
}
