// `pnode project keygen` and `pnode job …` against a real orchestrator's job API over HTTP
// (issue 13 §1): a project key listed by the orchestrator submits a Smith-Waterman search with one
// task per database shard (a manifest directory, like BOINC's create_work), follows it with
// `status`, writes the outputs with `results --out`, and retires it; a key the network does not
// list is refused with E_SIG_UNKNOWN_SIGNER; `abort` stops a batch.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobCommand } from '../../src-node/cli/commands/job.js';
import { projectCommand } from '../../src-node/cli/commands/project.js';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';
import { pnodeRoot, runCli } from '../support/cli.js';
import { type WorkNet, startWorkNet } from '../support/work-net.js';
import { type SearchInput, makeSearchInput, searchReference, toFasta } from '../support/workloads/smith-waterman.js';

const root = pnodeRoot(projectCommand, jobCommand);
let dir: string;
let net: WorkNet;
let api: string;
let key: string;
const input = makeSearchInput(913, 80, 36, 120);
const shards: SearchInput[] = [0, 1, 2].map((i) => ({ query: input.query, db: input.db.slice(i * 12, (i + 1) * 12) }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pnode-job-cli-'));
  const made = await runCli(root, ['project', 'keygen', '--out', join(dir, 'project.key')]);
  expect(made.code).toBe(0);
  key = made.stdout.split('\n')[0]!;
  expect(statSync(join(dir, 'project.key')).mode & 0o777).toBe(0o600);
  net = await startWorkNet({ contributors: 3, scheduler: { jobsListen: 'http://127.0.0.1:0', projects: [{ key, name: 'search lab', source: 'flag' }] } });
  api = net.schedulerModule.server!.url;
  await net.waitContributing();
  // A manifest directory: the program, the query every task gets, one task per shard file.
  const job = join(dir, 'search');
  mkdirSync(join(job, 'db'), { recursive: true });
  copyFileSync(join(packageRoot(), 'workloads', 'smith-waterman', 'smith-waterman.wasm'), join(job, 'smith-waterman.wasm'));
  writeFileSync(join(job, 'query.fa'), toFasta([input.query]));
  shards.forEach((shard, i) => writeFileSync(join(job, 'db', `shard-${i}.fa`), toFasta(shard.db)));
  writeFileSync(
    join(job, 'job.json'),
    JSON.stringify({ batch: 'shard search', module: 'smith-waterman.wasm', args: ['-k', '5', '/work/query.fa', '/work/{input}'], files: { 'query.fa': 'query.fa' }, inputs: { files: 'db', as: 'file' }, limits: { 'memory-mb': 32, 'max-ms': 30_000 } }),
  );
});

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = (keyFile = join(dir, 'project.key')) => ['--api', api, '--key', keyFile];

describe('pnode job', () => {
  it('keygen never overwrites a key', async () => {
    const again = await runCli(root, ['project', 'keygen', '--out', join(dir, 'project.key')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists already/);
  });

  it('submits one task per input file, follows it, and writes every output', async () => {
    const submitted = await runCli(root, ['job', 'submit', join(dir, 'search'), ...client()]);
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const batch = submitted.stdout.split('\n')[0]!;
    expect(batch).toMatch(/^batch:/);
    expect(submitted.stdout).toMatch(/submitted 3 tasks/);
    let status = '';
    for (let i = 0; i < 600 && !/accepted.*0 open/.test(status); i++) {
      status = (await runCli(root, ['job', 'status', batch, ...client()])).stdout;
      if (!/ 0 open/.test(status)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatch(/3 tasks, 3 accepted, 0 failed, 0 aborted, 0 open \(100\.0 %\)/);
    const listed = await runCli(root, ['job', 'status', batch, '--tasks', ...client()]);
    expect(listed.stdout).toMatch(/shard-0\.fa\s+accepted/);
    const out = join(dir, 'out');
    const written = await runCli(root, ['job', 'results', batch, '--out', out, ...client()]);
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(/wrote 3 accepted tasks/);
    shards.forEach((shard, i) => {
      expect(readFileSync(join(out, `shard-${i}.fa`, 'stdout'), 'utf8')).toBe(searchReference(shard, undefined, 1, 5));
      expect(readFileSync(join(out, `shard-${i}.fa`, 'exit-code'), 'utf8')).toBe('0\n');
    });
    const retired = await runCli(root, ['job', 'retire', batch, ...client()]);
    // The module, the query and three shards.
    expect(retired.stdout).toMatch(/retired .* 5 blobs freed/);
    const list = await runCli(root, ['job', 'list', '--json', ...client()]);
    expect(JSON.parse(list.stdout).items).toEqual([expect.objectContaining({ 'batch-id': batch, state: 'retired' })]);
  });

  it('aborts a batch: its open tasks stop', async () => {
    const slow = join(dir, 'slow');
    mkdirSync(slow);
    copyFileSync(join(packageRoot(), 'tests', 'fixtures', 'wasi', 'probe.wasm'), join(slow, 'probe.wasm'));
    writeFileSync(join(slow, 'job.json'), JSON.stringify({ module: 'probe.wasm', args: ['loop'], limits: { 'memory-mb': 16, 'max-ms': 600_000 } }));
    const submitted = await runCli(root, ['job', 'submit', slow, ...client()]);
    const batch = submitted.stdout.split('\n')[0]!;
    const aborted = await runCli(root, ['job', 'abort', batch, ...client()]);
    expect(aborted.stdout).toBe(`aborted 1 open tasks of ${batch}\n`);
    expect((await runCli(root, ['job', 'status', batch, ...client()])).stdout).toMatch(/aborted: 1 tasks, 0 accepted, 0 failed, 1 aborted, 0 open/);
  });

  it('refuses a key the orchestrator does not list, and a manifest that does not check', async () => {
    const other = join(dir, 'other.key');
    await runCli(root, ['project', 'keygen', '--out', other]);
    const refused = await runCli(root, ['job', 'list', ...client(other)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^E_SIG_UNKNOWN_SIGNER .*not a project of this network/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ module: 'missing.wasm' }));
    const bad = await runCli(root, ['job', 'submit', join(dir, 'bad.json'), ...client()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/module: .*missing\.wasm cannot be read/);
    writeFileSync(join(dir, 'worse.json'), JSON.stringify({ module: 'search/smith-waterman.wasm', limits: { 'memory-mb': 0 } }));
    const worse = await runCli(root, ['job', 'submit', join(dir, 'worse.json'), ...client()]);
    expect(worse.code).toBe(2);
    expect(worse.stderr).toMatch(/limits\.memory-mb: must be an integer from 1/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
