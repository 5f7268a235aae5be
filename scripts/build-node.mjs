// Bundles the node runtime and CLI into dist/ (run by `npm install` through "prepare", and by
// `npm run build`). Dependencies stay external: native modules load from node_modules.
import { build } from 'esbuild';

const started = Date.now();
await build({
  entryPoints: { pnode: 'src-node/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __pnodeCreateRequire } from 'node:module'; const require = __pnodeCreateRequire(import.meta.url);" },
});
console.log(`built dist/pnode.js in ${Date.now() - started} ms`);
