// tests/support/leak-check.ts, the setup file of every test file: files share a worker (isolate
// off), so what one file sets in the environment, even at its top, must not reach the next one.
// Two fixture files run in one worker, in name order: the first sets TZ and a variable of its own,
// the second must find neither (and checks it ran in the same process, or it would prove nothing).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { makeTempDir } from '../support/temp-dir.js';

const VITEST = join('node_modules', 'vitest', 'vitest.mjs');
const FIXTURE_CONFIG = join('tests', 'repo', 'fixtures', 'shared-worker', 'vitest.config.ts');

describe('the setup file of every test file', () => {
  it('puts back the environment a file changed before the next file in its worker', async () => {
    const dir = makeTempDir('pnode-leak-check-');
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', NO_COLOR: '1', PNODE_FIXTURE_PID_FILE: join(dir.path, 'pid') };
      delete env['FORCE_COLOR'];
      delete env['PNODE_FIXTURE_ADDED'];
      const child = spawn(process.execPath, [VITEST, 'run', '--config', FIXTURE_CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      const [status] = (await once(child, 'close')) as [number | null];
      expect(status, out).toBe(0);
      expect(out).toMatch(/Tests\s+\S*2 passed/);
    } finally {
      dir.cleanup();
    }
  }, 120_000);
});
