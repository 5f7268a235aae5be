// `pnode job submit`'s manifest (issue 13 §1; docs/JOBS.md): one JSON file (or a directory holding
// job.json) that describes a batch of tasks of one WASI program, with one task per input line or
// input file, like BOINC's `create_work --stdin`. Paths are relative to the manifest's directory.
//
//   { "batch": "sw search",                      the batch's name (default: the manifest's name)
//     "module": "smith-waterman.wasm",           the WASI program
//     "args": ["-k", "5", "query.fa", "{input}"], {input} is the line, or the input file's name
//     "files": {"query.fa": "query.fa"},          input files every task gets (uploaded as blobs)
//     "stdin": "stdin.bin",                      stdin every task gets (or "stdin-text")
//     "inputs": {"lines": "ranges.txt", "as": "stdin" | "arg"}
//             | {"files": "db/", "as": "file" | "stdin"},
//     "tasks": [{"name", "args", "stdin-text", "files"}],   or an explicit list instead of inputs
//     "outputs", "limits", "output-cap", "stderr-cap", "random-seed", "replication", "validator",
//     "deadline": as a task spec (src-shared/jobs/task-spec.ts), for every task }
//
// loadManifest reads every file, checks every task spec as the orchestrator will, and says which
// path or which line is wrong; nothing is sent before the whole batch checks.
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { MAX_TASKS_PER_BATCH, MAX_JOB_BLOB_BYTES } from '../../../src-shared/jobs/job-limits.js';
import { isTaskName, readTaskSpec } from '../../../src-shared/jobs/task-spec.js';
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import { MAX_INPUT_BYTES } from '../../../src-shared/vnode/limits.js';
import { isWasiFileName } from '../../../src-shared/vnode/wasi-workload.js';
import { hashBytes } from '../../kernel/storage/module-cache.js';

export const MANIFEST_FILE = 'job.json';
/** Largest manifest read. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Largest input list (lines) read. */
export const MAX_INPUT_LIST_BYTES = 64 * 1024 * 1024;

const PASSED_ON = ['outputs', 'limits', 'output-cap', 'stderr-cap', 'random-seed', 'replication', 'validator', 'deadline'] as const;
const KNOWN = ['batch', 'module', 'args', 'files', 'stdin', 'stdin-text', 'inputs', 'tasks', ...PASSED_ON];

export interface ManifestPlan {
  readonly batchName: string;
  readonly module: { readonly path: string; readonly bytes: Uint8Array; readonly hash: ContentHash };
  /** Input blobs to upload, by hash. */
  readonly blobs: ReadonlyMap<ContentHash, { readonly path: string; readonly bytes: Uint8Array }>;
  /** Task specs as the job API takes them. */
  readonly tasks: readonly Record<string, unknown>[];
}

export class ManifestError extends Error {
  constructor(where: string, detail: string) {
    super(`${where}: ${detail}`);
    this.name = 'ManifestError';
  }
}

async function readBounded(path: string, max: number, what: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ManifestError(what, `${path} cannot be read`);
  }
  if (!info.isFile()) throw new ManifestError(what, `${path} is not a file`);
  if (info.size > max) throw new ManifestError(what, `${path} is ${info.size} bytes, over ${max}`);
  return new Uint8Array(await readFile(path));
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ManifestError(where, 'must be a list of strings');
  return value as string[];
}

function fileMap(value: unknown, where: string): Array<[string, string]> {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManifestError(where, 'must be an object {"name in the task directory": "path"}');
  return Object.entries(value as Record<string, unknown>).map(([name, path]) => {
    if (!isWasiFileName(name)) throw new ManifestError(`${where}.${name}`, 'is not a file name for the task directory (letters, digits, ".", "_", "-")');
    if (typeof path !== 'string') throw new ManifestError(`${where}.${name}`, 'must be a path');
    return [name, path];
  });
}

/** A task name made from an input file's name (or its place when the name will not do). */
function nameFor(file: string, index: number, taken: Set<string>): string {
  const base = basename(file).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  const name = isTaskName(base) && !taken.has(base) ? base : `file-${String(index).padStart(5, '0')}`;
  taken.add(name);
  return name;
}

/** Reads a manifest (a file, or a directory holding job.json) and every file it names. */
export async function loadManifest(pathOrDir: string): Promise<ManifestPlan> {
  const info = await stat(pathOrDir).catch(() => null);
  if (!info) throw new ManifestError(pathOrDir, 'no such file or directory');
  const path = info.isDirectory() ? join(pathOrDir, MANIFEST_FILE) : pathOrDir;
  const dir = dirname(resolve(path));
  const at = (p: string) => resolve(dir, p);
  let manifest: Record<string, unknown>;
  try {
    const value = JSON.parse(Buffer.from(await readBounded(path, MAX_MANIFEST_BYTES, 'manifest')).toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    manifest = value as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(path, `is not a JSON object (${error instanceof Error ? error.message : String(error)})`);
  }
  for (const key of Object.keys(manifest)) if (!KNOWN.includes(key)) throw new ManifestError(path, `has an unknown field "${key}" (it knows ${KNOWN.join(', ')})`);
  if (typeof manifest['module'] !== 'string') throw new ManifestError(`${path} module`, 'must be the path of the WASI program');
  const moduleBytes = await readBounded(at(manifest['module']), MAX_JOB_BLOB_BYTES, 'module');
  const module = { path: at(manifest['module']), bytes: moduleBytes, hash: hashBytes(moduleBytes) };
  const blobs = new Map<ContentHash, { path: string; bytes: Uint8Array }>();
  const blobFile = async (name: string, file: string, where: string): Promise<{ name: string; blob: ContentHash }> => {
    const bytes = await readBounded(at(file), MAX_JOB_BLOB_BYTES, where);
    const hash = hashBytes(bytes);
    blobs.set(hash, { path: at(file), bytes });
    return { name, blob: hash };
  };
  const shared: Array<{ name: string; blob: ContentHash }> = [];
  for (const [name, file] of fileMap(manifest['files'], 'files')) shared.push(await blobFile(name, file, `files.${name}`));
  let sharedStdin: Uint8Array | null = null;
  if (manifest['stdin'] !== undefined && manifest['stdin-text'] !== undefined) throw new ManifestError(path, 'has stdin and stdin-text; give one');
  if (typeof manifest['stdin'] === 'string') sharedStdin = await readBounded(at(manifest['stdin']), MAX_INPUT_BYTES, 'stdin');
  else if (typeof manifest['stdin-text'] === 'string') sharedStdin = utf8(manifest['stdin-text']);
  const argsTemplate = stringList(manifest['args'], 'args');
  const passed: Record<string, unknown> = {};
  for (const key of PASSED_ON) if (manifest[key] !== undefined) passed[key] = manifest[key];

  interface Draft {
    name?: string;
    args: string[];
    stdin: Uint8Array | null;
    files: Array<{ name: string; blob: ContentHash }>;
  }
  const drafts: Draft[] = [];
  const fill = (args: string[], input: string) => args.map((a) => a.split('{input}').join(input));
  if (manifest['inputs'] !== undefined && manifest['tasks'] !== undefined) throw new ManifestError(path, 'has inputs and tasks; give one');
  if (manifest['inputs'] !== undefined) {
    const inputs = manifest['inputs'] as Record<string, unknown>;
    if (typeof inputs !== 'object' || inputs === null) throw new ManifestError('inputs', 'must be {"lines": path, "as": …} or {"files": dir, "as": …}');
    if (typeof inputs['lines'] === 'string') {
      const as = inputs['as'] ?? 'stdin';
      if (as !== 'stdin' && as !== 'arg') throw new ManifestError('inputs.as', 'for lines is "stdin" or "arg"');
      const text = Buffer.from(await readBounded(at(inputs['lines']), MAX_INPUT_LIST_BYTES, 'inputs.lines')).toString('utf8');
      const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
      lines.forEach((line, i) => {
        drafts.push({ name: `line-${String(i + 1).padStart(5, '0')}`, args: fill(argsTemplate, line), stdin: as === 'stdin' ? utf8(`${line}\n`) : sharedStdin, files: [] });
      });
    } else if (typeof inputs['files'] === 'string') {
      const as = inputs['as'] ?? 'file';
      if (as !== 'stdin' && as !== 'file') throw new ManifestError('inputs.as', 'for files is "file" or "stdin"');
      const folder = at(inputs['files']);
      const names = (await readdir(folder).catch(() => null))?.filter((n) => !n.startsWith('.')).sort();
      if (!names) throw new ManifestError('inputs.files', `${folder} is not a readable directory`);
      const taken = new Set<string>();
      for (const [i, file] of names.entries()) {
        const full = join(folder, file);
        if (!(await stat(full)).isFile()) continue;
        const taskName = nameFor(file, i, taken);
        if (as === 'stdin') {
          drafts.push({ name: taskName, args: fill(argsTemplate, file), stdin: await readBounded(full, MAX_INPUT_BYTES, `inputs.files ${file}`), files: [] });
        } else {
          const fileName = isWasiFileName(file) ? file : `input-${String(i).padStart(5, '0')}`;
          drafts.push({ name: taskName, args: fill(argsTemplate, fileName), stdin: sharedStdin, files: [await blobFile(fileName, join(inputs['files'], file), `inputs.files ${file}`)] });
        }
      }
    } else {
      throw new ManifestError('inputs', 'must be {"lines": path, "as": "stdin" | "arg"} or {"files": dir, "as": "file" | "stdin"}');
    }
  } else if (manifest['tasks'] !== undefined) {
    if (!Array.isArray(manifest['tasks'])) throw new ManifestError('tasks', 'must be a list');
    for (const [i, value] of (manifest['tasks'] as unknown[]).entries()) {
      const t = value as Record<string, unknown>;
      if (typeof t !== 'object' || t === null) throw new ManifestError(`tasks.${i}`, 'must be an object');
      const files: Array<{ name: string; blob: ContentHash }> = [];
      for (const [name, file] of fileMap(t['files'], `tasks.${i}.files`)) files.push(await blobFile(name, file, `tasks.${i}.files.${name}`));
      drafts.push({
        ...(typeof t['name'] === 'string' ? { name: t['name'] } : {}),
        args: t['args'] !== undefined ? stringList(t['args'], `tasks.${i}.args`) : argsTemplate,
        stdin: typeof t['stdin-text'] === 'string' ? utf8(t['stdin-text']) : sharedStdin,
        files,
      });
    }
  } else {
    drafts.push({ args: argsTemplate, stdin: sharedStdin, files: [] });
  }
  if (drafts.length === 0) throw new ManifestError(path, 'makes no task (no input lines or files)');
  if (drafts.length > MAX_TASKS_PER_BATCH) throw new ManifestError(path, `makes ${drafts.length} tasks; a batch holds at most ${MAX_TASKS_PER_BATCH}`);
  const tasks = drafts.map((d, i) => {
    const spec: Record<string, unknown> = {
      ...(d.name !== undefined ? { name: d.name } : {}),
      module: module.hash,
      ...(d.args.length > 0 ? { args: d.args } : {}),
      ...(d.stdin && d.stdin.length > 0 ? { stdin: toBase64url(d.stdin) } : {}),
      ...([...shared, ...d.files].length > 0 ? { files: [...shared, ...d.files] } : {}),
      ...passed,
    };
    try {
      readTaskSpec(spec, `task ${d.name ?? i}`);
    } catch (error) {
      throw new ManifestError(path, error instanceof ProtocolError ? error.detail : String(error));
    }
    return spec;
  });
  const name = typeof manifest['batch'] === 'string' && manifest['batch'].trim() !== '' ? manifest['batch'] : basename(info.isDirectory() ? resolve(pathOrDir) : path).replace(/\.json$/, '');
  return { batchName: name, module, blobs, tasks };
}
