// Blobs on disk (issue 13 §3): modules and input files, named by their SHA-256 and written
// atomically. A complete blob is <dir>/<hex[0..2]>/<hex>; it appears only by renaming a fully
// written, fsynced, hash-checked file into place, so a crash leaves it whole or absent.
//
// Uploads are chunked and resumable: each project's unfinished uploads live in
// <dir>/partial/<project>/<hex>.<size>.<kind>, appended to at exactly the offset already received
// (a chunk at another offset is refused, and says where to go on from) and fsynced before the
// append is acknowledged; when the last byte arrives the whole is hashed, checked (a module must
// be a WASI command: module-check.ts) and renamed into place. Unfinished uploads are bounded per
// project (MAX_PARTIAL_UPLOADS_PER_PROJECT) and dropped after UPLOAD_IDLE_MS without a chunk.
// Several orchestrators sharing one PostgreSQL store share this directory too (a shared file
// system): a task claimed by one may name a blob uploaded through another.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, fail, ok } from '../../../../src-shared/protocol/errors.js';
import { type ContentHash, contentHashHex } from '../../../../src-shared/vnode/content-hash.js';
import { MAX_JOB_BLOB_BYTES, MAX_PARTIAL_UPLOADS_PER_PROJECT, UPLOAD_IDLE_MS } from '../../../../src-shared/jobs/job-limits.js';
import { fsyncDirectorySync } from '../../../kernel/storage/atomic-file.js';
import type { BlobKind } from './job-store.js';
import { checkWasiModule } from './module-check.js';

export const BLOB_DIR = 'blobs';
const PARTIAL_DIR = 'partial';
const PARTIAL_NAME = /^([0-9a-f]{64})\.(\d+)\.(module|input)$/;

export type UploadState = { readonly state: 'complete'; readonly size: number } | { readonly state: 'partial'; readonly received: number; readonly size: number; readonly kind: BlobKind } | { readonly state: 'none' };

export interface CompletedBlob {
  readonly hash: ContentHash;
  readonly size: number;
  readonly kind: BlobKind;
  readonly minPages: number | null;
}

export type AppendOutcome = { readonly state: 'partial'; readonly received: number } | ({ readonly state: 'complete' } & CompletedBlob);

/** A short, file-name-safe name for a project key (its fingerprint is base58, already safe). */
function projectDir(project: string): string {
  if (!/^z[1-9A-HJ-NP-Za-km-z]{1,64}$/.test(project)) throw new Error(`not a project key: ${project}`);
  return project;
}

function sha256(bytes: Uint8Array): ContentHash {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class BlobStore {
  /** One upload step at a time per (project, blob), and per blob for completion and removal. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {
    mkdirSync(join(dir, PARTIAL_DIR), { recursive: true });
  }

  pathOf(hash: ContentHash): string {
    const hex = contentHashHex(hash);
    return join(this.dir, hex.slice(0, 2), hex);
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }

  /** Whether the complete blob is on disk (not verified: read() verifies). */
  async has(hash: ContentHash): Promise<boolean> {
    return (await stat(this.pathOf(hash)).catch(() => null))?.isFile() ?? false;
  }

  /** The blob's bytes, checked against its name; null when absent or damaged (a damaged file is removed). */
  async read(hash: ContentHash): Promise<Uint8Array | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(hash));
    } catch {
      return null;
    }
    if (sha256(bytes) !== hash) {
      await rm(this.pathOf(hash), { force: true });
      return null;
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Removes a blob no batch references any more. */
  async remove(hash: ContentHash): Promise<void> {
    await this.locked(`blob ${hash}`, () => rm(this.pathOf(hash), { force: true }));
  }

  /** Puts whole bytes in place (the orchestrator's own modules); the hash is computed here. */
  async put(bytes: Uint8Array, kind: BlobKind): Promise<Result<CompletedBlob>> {
    const hash = sha256(bytes);
    const checked = this.check(bytes, kind);
    if (!checked.ok) return checked;
    await this.locked(`blob ${hash}`, async () => {
      if (await this.has(hash)) return;
      await this.writeInPlace(hash, bytes);
    });
    return ok({ hash, size: bytes.length, kind, minPages: checked.value });
  }

  private check(bytes: Uint8Array, kind: BlobKind): Result<number | null> {
    if (kind !== 'module') return ok(null);
    const module = checkWasiModule(bytes);
    return module.ok ? ok(module.value.minPages) : module;
  }

  private async writeInPlace(hash: ContentHash, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(hash);
    const dir = join(path, '..');
    await mkdir(dir, { recursive: true });
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    fsyncDirectorySync(dir);
  }

  private async partialOf(project: string, hash: ContentHash): Promise<{ path: string; size: number; kind: BlobKind; received: number } | null> {
    const dir = join(this.dir, PARTIAL_DIR, projectDir(project));
    const hex = contentHashHex(hash);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const match = PARTIAL_NAME.exec(name);
      if (!match || match[1] !== hex) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (!info) continue;
      return { path, size: Number(match[2]), kind: match[3] as BlobKind, received: info.size };
    }
    return null;
  }

  /** Where an upload stands for this project. */
  async uploadState(project: string, hash: ContentHash, known: boolean): Promise<UploadState> {
    const partial = await this.partialOf(project, hash);
    if (partial) return { state: 'partial', received: partial.received, size: partial.size, kind: partial.kind };
    if (known && (await this.has(hash))) {
      const info = await stat(this.pathOf(hash));
      return { state: 'complete', size: info.size };
    }
    return { state: 'none' };
  }

  /**
   * Appends one chunk of an upload at `offset` (which must be what was received so far). Refusals
   * (E_PROTO_INVALID): a size over the cap or unlike the upload's, an offset elsewhere (the detail
   * says where), a chunk past the end, too many uploads of the project at once, bytes that do not
   * hash to the name, a module that is not a WASI command. A refused completion drops the upload.
   */
  async append(project: string, hash: ContentHash, size: number, kind: BlobKind, offset: number, chunk: Uint8Array, known: boolean, now = Date.now()): Promise<Result<AppendOutcome>> {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_JOB_BLOB_BYTES) return fail('E_PROTO_INVALID', `a blob holds at most ${MAX_JOB_BLOB_BYTES} bytes`);
    return this.locked(`upload ${project} ${hash}`, async () => {
      // A blob the project uploaded before is complete at once. One only another project holds is
      // not: knowing a hash must not be a way to read someone else's input (through a task that
      // prints it), so its bytes are uploaded like any others.
      if (known && (await this.has(hash))) {
        const info = await stat(this.pathOf(hash));
        if (info.size !== size) return fail('E_PROTO_INVALID', `blob ${hash} is ${info.size} bytes, not ${size}`);
        // Someone uploaded it already: check the kind it is wanted as, then it is complete.
        if (kind === 'module') {
          const bytes = await this.read(hash);
          if (!bytes) return fail('E_PROTO_INVALID', `blob ${hash} is damaged on disk; upload it again`);
          const checked = this.check(bytes, kind);
          if (!checked.ok) return checked;
          return ok({ state: 'complete' as const, hash, size, kind, minPages: checked.value });
        }
        return ok({ state: 'complete' as const, hash, size, kind, minPages: null });
      }
      const dir = join(this.dir, PARTIAL_DIR, projectDir(project));
      let partial = await this.partialOf(project, hash);
      if (partial && (partial.size !== size || partial.kind !== kind)) {
        if (offset !== 0) return fail('E_PROTO_INVALID', `this upload was started as a ${partial.size}-byte ${partial.kind}; start again at offset 0 to change it`);
        await rm(partial.path, { force: true });
        partial = null;
      }
      // A crash between the last chunk's write and the completion leaves an upload that holds every
      // byte: finish it now (the hash check decides), whatever the client resends.
      if (partial && partial.received >= size) return this.complete(partial.path, hash, size, kind);
      const received = partial?.received ?? 0;
      if (offset !== received) return fail('E_PROTO_INVALID', `the upload has ${received} bytes: send the chunk at offset ${received}`);
      if (offset + chunk.length > size) return fail('E_PROTO_INVALID', `the chunk runs past the blob's ${size} bytes`);
      if (!partial) {
        await mkdir(dir, { recursive: true });
        await this.expireIdle(dir, now);
        const open = (await readdir(dir)).filter((n) => PARTIAL_NAME.test(n)).length;
        if (open >= MAX_PARTIAL_UPLOADS_PER_PROJECT) return fail('E_PROTO_INVALID', `the project has ${open} uploads in progress (at most ${MAX_PARTIAL_UPLOADS_PER_PROJECT}): finish some first`);
      }
      const path = partial?.path ?? join(dir, `${contentHashHex(hash)}.${size}.${kind}`);
      const handle = await open(path, 'a', 0o600);
      try {
        if (chunk.length > 0) await handle.write(chunk);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (!partial) fsyncDirectorySync(dir);
      const now2 = received + chunk.length;
      if (now2 < size) return ok({ state: 'partial' as const, received: now2 });
      return this.complete(path, hash, size, kind);
    });
  }

  private async complete(path: string, hash: ContentHash, size: number, kind: BlobKind): Promise<Result<AppendOutcome>> {
    const bytes = new Uint8Array(await readFile(path));
    const actual = sha256(bytes);
    if (bytes.length !== size || actual !== hash) {
      await rm(path, { force: true });
      return fail('E_PROTO_INVALID', `the uploaded bytes hash to ${actual}, not ${hash}; the upload was dropped`);
    }
    const checked = this.check(bytes, kind);
    if (!checked.ok) {
      await rm(path, { force: true });
      return checked;
    }
    await this.locked(`blob ${hash}`, async () => {
      const final = this.pathOf(hash);
      if (await this.has(hash)) {
        // The same bytes are kept already (another project's): this upload proved it holds them.
        await rm(path, { force: true });
        return;
      }
      await mkdir(join(final, '..'), { recursive: true });
      await rename(path, final);
      fsyncDirectorySync(join(final, '..'));
    });
    return ok({ state: 'complete' as const, hash, size, kind, minPages: checked.value });
  }

  /** Drops a project's uploads idle for UPLOAD_IDLE_MS. */
  private async expireIdle(dir: string, now: number): Promise<void> {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > UPLOAD_IDLE_MS) await rm(path, { force: true });
    }
  }

  /** Drops every idle upload (maintenance). */
  async maintain(now = Date.now()): Promise<void> {
    const root = join(this.dir, PARTIAL_DIR);
    for (const project of await readdir(root).catch(() => [] as string[])) await this.expireIdle(join(root, project), now);
  }
}
