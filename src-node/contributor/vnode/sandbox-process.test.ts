import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_BYTES, MAX_WASI_STDERR_BYTES } from '../../../src-shared/vnode/limits.js';
import { SANDBOX_V8_FLAGS, type SandboxLauncher, type SandboxSpec, SandboxProcess, defaultSuspendMode, nodeLauncher, permissionFlags, sandboxSpec } from './sandbox-process.js';

/** Runs a script with the sandbox's flags and environment and returns the first message it sends. */
function probe(script: string, spec: SandboxSpec = sandboxSpec()): Promise<unknown> {
  const child = nodeLauncher()({ ...spec, script });
  return new Promise((resolve, reject) => {
    child.onMessage((message) => {
      resolve(message);
      child.signal('SIGKILL');
    });
    child.onExit((code) => reject(new Error(`exited (${code}) without a message`)));
  });
}

describe('the sandbox process', () => {
  it('is suspended by signal on POSIX and cooperatively on Windows', () => {
    expect(defaultSuspendMode('linux')).toBe('signal');
    expect(defaultSuspendMode('darwin')).toBe('signal');
    expect(defaultSuspendMode('win32')).toBe('cooperative');
  });

  it('uses the permission-model flag the runtime knows', () => {
    expect(permissionFlags(new Set(['--permission', '--experimental-permission']))).toEqual(['--permission', '--allow-worker']);
    expect(permissionFlags(new Set(['--experimental-permission']))).toEqual(['--experimental-permission', '--allow-worker']);
    expect(permissionFlags(new Set())).toEqual([]);
    // WASI tasks need node:wasi inside the sandbox, where the runtime can allow it.
    expect(permissionFlags(new Set(['--experimental-permission', '--allow-wasi']))).toEqual(['--experimental-permission', '--allow-worker', '--allow-wasi']);
  });

  it('gets none of the host’s environment', async () => {
    const spec = sandboxSpec();
    expect(Object.keys(spec.env)).toEqual(process.platform === 'win32' ? ['ELECTRON_RUN_AS_NODE', 'SystemRoot'] : ['ELECTRON_RUN_AS_NODE']);
    expect(spec.execArgv).toEqual(expect.arrayContaining(SANDBOX_V8_FLAGS));
    const seen = (await probe(`process.send(Object.keys(process.env).filter((k) => k !== 'ELECTRON_RUN_AS_NODE' && k !== 'SystemRoot'))`)) as string[];
    expect(seen).toEqual([]);
  });

  it.skipIf(permissionFlags().length === 0)('cannot read files or start processes (permission model)', async () => {
    const result = await probe(`
      const attempt = (fn) => { try { fn(); return 'allowed'; } catch (error) { return error.code; } };
      process.send({
        read: attempt(() => require('node:fs').readFileSync(process.execPath)),
        spawn: attempt(() => require('node:child_process').spawnSync(process.execPath, ['-e', '0'])),
      });`);
    expect(result).toEqual({ read: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED' });
  });

  it('is started through the launcher it is given', async () => {
    const specs: SandboxSpec[] = [];
    const launcher: SandboxLauncher = (spec) => {
      specs.push(spec);
      return nodeLauncher()(spec);
    };
    const sandbox = await SandboxProcess.start({ suspendMode: 'signal', launcher });
    expect(specs).toHaveLength(1);
    expect(sandbox.alive).toBe(true);
    await sandbox.kill();
    expect(sandbox.alive).toBe(false);
  });

  it('reports a sandbox that cannot start', async () => {
    await expect(SandboxProcess.start({ suspendMode: 'signal', launcher: nodeLauncher('/nonexistent/node') })).rejects.toThrow(/cannot start|exited while starting/);
  });

  it('treats a result out of shape as a broken sandbox', async () => {
    // A stand-in for a compromised sandbox: it answers every task with what it likes.
    const liar = (result: string): SandboxLauncher => (spec) =>
      nodeLauncher()({
        ...spec,
        script: `process.on('message', (m) => process.send({ type: 'result', taskId: m.taskId, cpuMs: 1, ...${result} })); process.send({ type: 'ready' });`,
      });
    const task = { taskId: 't', module: new Uint8Array(0), input: new Uint8Array(0), entry: 'run', memory: null, entryReturnsStatus: false, maxOutput: 10 };
    for (const result of [`{ status: 'pwned', detail: null, output: null }`, `{ status: 'ok', detail: null, output: new Uint8Array(${MAX_OUTPUT_BYTES + 1}) }`, `{ status: 'trap', detail: 7, output: null }`]) {
      const sandbox = await SandboxProcess.start({ suspendMode: 'signal', launcher: liar(result) });
      expect(await sandbox.run(task)).toMatchObject({ status: 'failed', detail: 'the sandbox sent a malformed result', processDied: true });
      await sandbox.whenExited();
      expect(sandbox.alive).toBe(false);
    }
  });

  it('treats a WASI outcome out of shape as a broken sandbox', async () => {
    const liar = (result: string): SandboxLauncher => (spec) =>
      nodeLauncher()({
        ...spec,
        script: `process.on('message', (m) => process.send({ type: 'result', taskId: m.taskId, cpuMs: 1, ...${result} })); process.send({ type: 'ready' });`,
      });
    const task = {
      kind: 'wasi' as const,
      taskId: 't',
      module: new Uint8Array(0),
      args: [],
      stdin: new Uint8Array(0),
      preopen: '/nonexistent',
      inputIds: [],
      outputCap: 10,
      stderrCap: 10,
      writtenCap: 10,
      createdCap: 10,
      seedKey: new Uint8Array(32),
      memoryMaxPages: 1,
    };
    const wasi = (fields: string) => `{ status: 'ok', detail: null, output: null, wasi: { exitCode: 0, stdout: new Uint8Array(1), stderr: new Uint8Array(0), stderrTruncated: false, ${fields} } }`;
    for (const result of [
      `{ status: 'ok', detail: null, output: null }`,
      `{ status: 'ok', detail: null, output: new Uint8Array(1), wasi: { exitCode: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), stderrTruncated: false } }`,
      wasi(`exitCode: 2`),
      wasi(`stdout: new Uint8Array(${MAX_OUTPUT_BYTES + 1})`),
      wasi(`stderr: new Uint8Array(${MAX_WASI_STDERR_BYTES + 1})`),
      wasi(`stderrTruncated: 'no'`),
      wasi(`stdout: 'text'`),
    ]) {
      const sandbox = await SandboxProcess.start({ suspendMode: 'signal', launcher: liar(result) });
      expect(await sandbox.run(task)).toMatchObject({ status: 'failed', detail: 'the sandbox sent a malformed result', processDied: true });
      await sandbox.whenExited();
    }
    const honest = await SandboxProcess.start({ suspendMode: 'signal', launcher: liar(wasi('')) });
    expect(await honest.run(task)).toMatchObject({ status: 'ok', wasi: { exitCode: 0, stdout: new Uint8Array(1) }, processDied: false });
    await honest.kill();
  });
});
