// The seed directory on a disk that fills up, for real: `pnode directory` runs under a file-size
// quota (RLIMIT_FSIZE, tests/support/file-size-limit.ts), so once its log reaches the quota every
// append is cut short and fails with EFBIG. Publishers PUT new and replacement advertisements
// over HTTP; after each answer a GET asks what the running directory serves (memory). Then the
// directory is stopped and started again without the quota on the same data dir, and asked again
// (disk). A row answered 201/200 must be served and survive; a row answered 503 must be nowhere,
// and the row it would have replaced must still be served.
import { mkdir } from 'node:fs/promises';
import { type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makePublisher, signedAdvertisement, type Publisher } from '../../tests/support/directory.js';
import { spawnWithFileSizeLimit } from '../../tests/support/file-size-limit.js';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';
import { figures, type DiskFullFigures } from './stores.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';

/** About what one advertisement costs in the log: the quota is set so that about half the PUTs fit. */
export const LOG_LINE_ESTIMATE_BYTES = 750;
/** The smallest quota (the log's header and a few rows). */
const MIN_QUOTA_BYTES = 8 * 1024;
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const FLAGS = ['--insecure-loopback', '--keystore', 'file', '--ip-put-rate', '100000', '--ip-get-rate', '100000'];

async function waitServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // Not yet.
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the directory exited:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`the directory did not serve within ${START_TIMEOUT_MS} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
}

async function served(url: string, nodeId: string): Promise<number | null> {
  const response = await fetch(`${url}/adv/${encodeURIComponent(nodeId)}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (response.status === 404) return null;
  const body = (await response.json()) as { 'sequence/no'?: number };
  return body['sequence/no'] ?? null;
}

export async function directoryOnFullDisk(dir: string, publishersCount: number, rounds: number): Promise<DiskFullFigures & { readonly answers: Record<string, number> }> {
  const f = figures('directory (real quota)');
  const answers: Record<string, number> = {};
  const dataDir = join(dir, 'directory');
  await mkdir(dataDir, { recursive: true });
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const argv = [join(packageRoot(), 'bin', 'pnode.js'), 'directory', '--data-dir', dataDir, '--listen', url, ...FLAGS];
  let output = '';
  const take = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-8_192));

  const quota = Math.max(MIN_QUOTA_BYTES, Math.round((publishersCount * rounds * LOG_LINE_ESTIMATE_BYTES) / 2));
  const limited = spawnWithFileSizeLimit(quota, argv);
  limited.stdout!.on('data', take);
  limited.stderr!.on('data', take);
  const publishers: Publisher[] = Array.from({ length: publishersCount }, () => makePublisher());
  /** The model: per node, the highest sequence answered as stored. */
  const stored = new Map<string, number>();
  let full = false;
  try {
    await waitServing(url, limited, () => output);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < publishers.length; i += 8) {
        await Promise.all(
          publishers.slice(i, i + 8).map(async (publisher) => {
            const ad = signedAdvertisement(publisher, { sequence: round, url: `wss://n${i}.example:7443/peer` });
            f.operations++;
            const response = await fetch(`${url}/adv/${encodeURIComponent(publisher.nodeId)}`, {
              method: 'PUT',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify(ad),
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            await response.arrayBuffer();
            answers[response.status] = (answers[response.status] ?? 0) + 1;
            if (full || response.status === 503) f.underFullDisk++;
            const now = await served(url, publisher.nodeId);
            if (response.status === 201 || response.status === 200) {
              stored.set(publisher.nodeId, round);
              if (now !== round) {
                f.answerVsMemory++;
                if (f.notes.length < 5) f.notes.push(`${publisher.nodeId.slice(-8)} seq ${round}: answered ${response.status}, served ${now}`);
              }
            } else {
              if (response.status === 503) {
                f.refused++;
                full = true;
              }
              if (now !== (stored.get(publisher.nodeId) ?? null)) {
                f.answerVsMemory++;
                if (f.notes.length < 5) f.notes.push(`${publisher.nodeId.slice(-8)} seq ${round}: answered ${response.status}, served ${now}, last stored ${stored.get(publisher.nodeId) ?? null}`);
              }
            }
          }),
        );
      }
    }
  } finally {
    await stop(limited);
  }

  // The same data dir, no quota: what the disk kept.
  const again = spawnSupervised(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  again.stdout!.on('data', take);
  again.stderr!.on('data', take);
  try {
    await waitServing(url, again, () => output);
    for (const publisher of publishers) {
      const now = await served(url, publisher.nodeId);
      if (now !== (stored.get(publisher.nodeId) ?? null)) {
        f.afterRestart++;
        if (f.notes.length < 5) f.notes.push(`${publisher.nodeId.slice(-8)} after the restart: served ${now}, last stored ${stored.get(publisher.nodeId) ?? null}`);
      }
    }
  } finally {
    await stop(again);
  }
  return { ...f, answers };
}
