// `pnode job …`: a project's side of the job API (issue 13 §1; docs/JOBS.md). Every request is
// signed with the project key (--key, made by `pnode project keygen`) for the orchestrator at --api.
//   submit <manifest.json|dir>   creates a batch, uploads the module and input files (chunked,
//                                resumable), submits one task per input line or file, prints the
//                                batch id
//   status <batch>               the batch's counts (and its tasks with --tasks)
//   results <batch> --out DIR    writes each decided task's outputs: DIR/<task>/stdout, stderr,
//                                its output files, exit-code; a failed task's DIR/<task>/FAILED
//   abort <batch>                aborts the batch's open tasks
//   retire <batch>               drops the batch's tasks, outputs and blobs on the orchestrator
//   list                         the project's batches
// Exit codes (run.ts): 0 done; 1 refused by the orchestrator (its code is printed); 2 bad usage
// or an unreadable manifest.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandContext, CommandSpec, OptionSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK } from '../run.js';
import { MAX_TASKS_PER_REQUEST } from '../../../src-shared/jobs/job-limits.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import { JobClient } from '../jobs/job-client.js';
import { ManifestError, loadManifest } from '../jobs/manifest.js';
import { readProjectKey } from '../jobs/project-key.js';

const CLIENT_OPTIONS: readonly OptionSpec[] = [
  { name: 'api', type: 'string', valueName: 'url', description: "The orchestrator's job API: http://127.0.0.1:<port> or https://<host>:<port>", required: true },
  { name: 'key', type: 'string', valueName: 'file', description: 'The project key file (pnode project keygen)', required: true },
  { name: 'orchestrator', type: 'string', valueName: 'node-id', description: "The orchestrator's node id (default: asked of the API)" },
  { name: 'trust-ca', type: 'list', valueName: 'file', description: 'Also trust this CA certificate (PEM) for https://' },
  { name: 'json', type: 'boolean', description: 'Print JSON' },
];
const BATCH: { name: string; description: string; required: true } = { name: 'batch', description: 'The batch id (batch:…), as submit printed it', required: true };

async function client(context: CommandContext): Promise<JobClient> {
  const o = context.args.options;
  let key;
  try {
    key = await readProjectKey(resolve(context.cwd, o['key'] as string), nativeCrypto);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  try {
    return new JobClient({
      base: o['api'] as string,
      key,
      ...(typeof o['orchestrator'] === 'string' ? { audience: o['orchestrator'] } : {}),
      caFiles: ((o['trust-ca'] as string[] | undefined) ?? []).map((f) => resolve(context.cwd, f)),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const batchPath = (batch: string) => `/v1/batches/${encodeURIComponent(batch)}`;

function printJson(context: CommandContext, value: unknown): void {
  context.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

function countsLine(view: Record<string, unknown>): string {
  const t = view['tasks'] as Record<string, number> | undefined;
  if (!t) return `${String(view['state'])}`;
  return `${String(view['state'])}: ${t['total']} tasks, ${t['accepted']} accepted, ${t['failed']} failed, ${t['aborted']} aborted, ${t['open']} open (${(Number(view['progress-permille']) / 10).toFixed(1)} %)`;
}

const submit: CommandSpec = {
  name: 'submit',
  summary: 'Submit a batch of tasks from a manifest (one task per input line or file)',
  positionals: [{ name: 'manifest', description: 'A manifest JSON file, or a directory holding job.json', required: true }],
  options: [...CLIENT_OPTIONS, { name: 'name', type: 'string', valueName: 'text', description: "The batch's name (default: the manifest's batch)" }],
  async run(context) {
    let plan;
    try {
      plan = await loadManifest(resolve(context.cwd, context.args.positionals[0]!));
    } catch (error) {
      if (error instanceof ManifestError) throw new UsageError(error.message);
      throw error;
    }
    const jobs = await client(context);
    const name = (context.args.options['name'] as string | undefined) ?? plan.batchName;
    const created = await jobs.call('POST', '/v1/batches', { name });
    const batch = String(created['batch-id']);
    await jobs.upload(batch, plan.module.bytes, 'module');
    for (const blob of plan.blobs.values()) await jobs.upload(batch, blob.bytes, 'input');
    let submitted = 0;
    for (let start = 0; start < plan.tasks.length; start += MAX_TASKS_PER_REQUEST) {
      const page = plan.tasks.slice(start, start + MAX_TASKS_PER_REQUEST);
      await jobs.call('POST', `${batchPath(batch)}/tasks`, { tasks: page });
      submitted += page.length;
    }
    if (context.args.options['json'] === true) printJson(context, { 'batch-id': batch, name, tasks: submitted, blobs: plan.blobs.size + 1 });
    else context.stdout(`${batch}\nsubmitted ${submitted} task${submitted === 1 ? '' : 's'} of ${plan.module.path} (${plan.blobs.size} input blob${plan.blobs.size === 1 ? '' : 's'}) as "${name}"\n`);
    return EXIT_OK;
  },
};

const status: CommandSpec = {
  name: 'status',
  summary: "A batch's progress (and its tasks with --tasks)",
  positionals: [BATCH],
  options: [...CLIENT_OPTIONS, { name: 'tasks', type: 'boolean', description: 'List every task too' }],
  async run(context) {
    const jobs = await client(context);
    const batch = context.args.positionals[0]!;
    const view = await jobs.call('GET', batchPath(batch));
    const tasks: Array<Record<string, unknown>> = [];
    if (context.args.options['tasks'] === true) for await (const task of jobs.pages(`${batchPath(batch)}/tasks`)) tasks.push(task);
    if (context.args.options['json'] === true) {
      printJson(context, context.args.options['tasks'] === true ? { ...view, items: tasks } : view);
      return EXIT_OK;
    }
    context.stdout(`${batch} "${String(view['name'])}": ${countsLine(view)}\n`);
    for (const t of tasks) context.stdout(`  ${String(t['name']).padEnd(24)} ${String(t['state']).padEnd(9)} attempts ${String(t['attempts'])}${t['detail'] ? `  ${String(t['detail'])}` : ''}\n`);
    return EXIT_OK;
  },
};

const results: CommandSpec = {
  name: 'results',
  summary: "Write a batch's outputs to a directory",
  positionals: [BATCH],
  options: [...CLIENT_OPTIONS, { name: 'out', type: 'string', valueName: 'dir', description: 'Where to write DIR/<task>/…', required: true }],
  async run(context) {
    const jobs = await client(context);
    const batch = context.args.positionals[0]!;
    const out = resolve(context.cwd, context.args.options['out'] as string);
    await mkdir(out, { recursive: true });
    const counts = { accepted: 0, failed: 0, open: 0 };
    for await (const item of jobs.pages(`${batchPath(batch)}/results`, 200)) {
      const name = String(item['name']);
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`the orchestrator named a task ${JSON.stringify(name)}, which is no directory name`);
      const dir = join(out, name);
      const state = String(item['state']);
      if (state === 'open') {
        counts.open++;
        continue;
      }
      const output = item['output'] as { stdout: string; stderr: string; 'exit-code': number; files: Array<{ name: string; data: string }> } | null;
      if (state !== 'accepted' || !output) {
        counts.failed++;
        await writeFileAtomic(join(dir, 'FAILED'), `${state}: ${String(item['detail'] ?? 'no detail')}\n`);
        continue;
      }
      counts.accepted++;
      await writeFileAtomic(join(dir, 'stdout'), Buffer.from(output.stdout, 'base64url'));
      await writeFileAtomic(join(dir, 'stderr'), Buffer.from(output.stderr, 'base64url'));
      await writeFileAtomic(join(dir, 'exit-code'), `${output['exit-code']}\n`);
      for (const file of output.files) {
        if (['stdout', 'stderr', 'exit-code', 'FAILED'].includes(file.name) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file.name)) throw new Error(`output file ${JSON.stringify(file.name)} of ${name} cannot be written`);
        await writeFileAtomic(join(dir, file.name), Buffer.from(file.data, 'base64url'));
      }
    }
    if (context.args.options['json'] === true) printJson(context, { out, ...counts });
    else context.stdout(`wrote ${counts.accepted} accepted task${counts.accepted === 1 ? '' : 's'} to ${out}; ${counts.failed} failed (see <task>/FAILED); ${counts.open} still open\n`);
    return EXIT_OK;
  },
};

function batchAction(name: 'abort' | 'retire', summary: string): CommandSpec {
  return {
    name,
    summary,
    positionals: [BATCH],
    options: CLIENT_OPTIONS,
    async run(context) {
      const jobs = await client(context);
      const answer = await jobs.call('POST', `${batchPath(context.args.positionals[0]!)}/${name}`);
      if (context.args.options['json'] === true) printJson(context, answer);
      else context.stdout(name === 'abort' ? `aborted ${String(answer['tasks-aborted'])} open tasks of ${String(answer['batch-id'])}\n` : `retired ${String(answer['batch-id'])}; ${String(answer['blobs-freed'])} blobs freed\n`);
      return EXIT_OK;
    },
  };
}

const list: CommandSpec = {
  name: 'list',
  summary: "The project's batches",
  options: CLIENT_OPTIONS,
  async run(context) {
    const jobs = await client(context);
    const batches: Array<Record<string, unknown>> = [];
    for await (const batch of jobs.pages('/v1/batches')) batches.push(batch);
    if (context.args.options['json'] === true) printJson(context, { items: batches });
    else for (const b of batches) context.stdout(`${String(b['batch-id'])}  ${String(b['state']).padEnd(8)} ${String(b['created-at'])}  ${String(b['name'])}\n`);
    return EXIT_OK;
  },
};

export const jobCommand: CommandSpec = {
  name: 'job',
  summary: "Submit work to a network and fetch its results (a project's side)",
  description:
    "A project's side of an orchestrator's job API (docs/JOBS.md): submit a batch of WASI tasks from a\n" +
    'manifest, watch it, fetch the outputs, abort or retire it. Requests are signed with the project\n' +
    "key (pnode project keygen), which the network descriptor's projects must list.",
  subcommands: [submit, status, results, batchAction('abort', "Abort a batch's open tasks"), batchAction('retire', "Drop a finished batch's tasks, outputs and blobs"), list],
};
