#!/usr/bin/env node
// The `pnode` command. The TypeScript sources are bundled to dist/ on `npm install`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/pnode.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('pnode: dist/pnode.js is missing; run "npm run build" (npm install does it too)\n');
  process.exit(2);
}
await import(entry.href);
