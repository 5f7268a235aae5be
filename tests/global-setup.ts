// Tests that spawn `pnode` run the bundled CLI: rebuild it first so they never test stale code.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'pipe' });
}
