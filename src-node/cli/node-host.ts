// Runs one node until SIGINT/SIGTERM: the runtime, its control server, control.json for local
// tools, and a readable start banner. Shared by `pnode node`, the services and devnet's children.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandIo } from './args.js';
import { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import { NodeControl } from '../control/node-control.js';
import type { NodeRuntimeConfig } from '../kernel/runtime/runtime-config.js';
import type { RuntimeModule } from '../kernel/runtime/runtime-module.js';
import { startControlServer, type ControlServer } from '../control/control-server.js';
import { removeControlFile, writeControlFile, controlFilePath } from '../control/control-file.js';
import { rendererDir } from '../kernel/util/package-root.js';

export interface HostOptions {
  readonly ui: boolean;
  readonly controlPort?: number | undefined;
  /** Extra lines for the banner (a service's own URLs). */
  readonly banner?: (runtime: NodeRuntime) => readonly string[];
  /** Called once everything is up (tests, devnet). */
  readonly onReady?: (host: RunningNode) => void;
}

export interface RunningNode {
  readonly runtime: NodeRuntime;
  readonly control: NodeControl;
  readonly server: ControlServer;
  stop(): Promise<void>;
}

/** Starts a node with its control server; the caller decides when to stop it. */
export async function startHostedNode(config: NodeRuntimeConfig, modules: readonly RuntimeModule[], options: HostOptions, io: Pick<CommandIo, 'stderr'>): Promise<RunningNode> {
  const runtime = await NodeRuntime.start(config, modules);
  const control = new NodeControl(runtime);
  let staticDir: string | undefined;
  if (options.ui) {
    staticDir = rendererDir();
    if (!existsSync(join(staticDir, 'index.html'))) {
      io.stderr(`warning: the dashboard is not built (${staticDir} is missing); run "npm run build:renderer"\n`);
      staticDir = undefined;
    }
  }
  let server: ControlServer;
  try {
    server = await startControlServer({ handler: control, ...(options.controlPort !== undefined ? { port: options.controlPort } : {}), staticDir });
    await writeControlFile(config.dataDir, { url: server.url, token: server.token, pid: process.pid, nodeId: runtime.identity.nodeId, uiUrl: server.uiUrl });
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const running: RunningNode = {
    runtime,
    control,
    server,
    stop() {
      stopping ??= (async () => {
        control.stop();
        await server.close();
        await runtime.stop();
        await removeControlFile(config.dataDir);
      })();
      return stopping;
    },
  };
  return running;
}

export function bannerLines(running: RunningNode, options: HostOptions): string[] {
  const { runtime, server } = running;
  const lines = [
    `pnode ${runtime.config.version} (${runtime.config.role})`,
    `node/id    ${runtime.identity.nodeId}`,
    ...runtime.listenUrls().map((url) => `listening  ${url}`),
    ...(runtime.listenUrls().length === 0 ? ['listening  (none: dial-only)'] : []),
    `keystore   ${runtime.keystore.kind === 'file' ? `plain file ${runtime.keystore.location}` : runtime.keystore.location}`,
    `control    ${server.url} (token in ${controlFilePath(runtime.config.dataDir)})`,
    ...(server.uiUrl ? [`dashboard  ${server.uiUrl}`] : []),
    ...(options.banner?.(runtime) ?? []),
  ];
  return lines;
}

/** Runs until the command's abort signal fires, then stops everything and flushes files. */
export async function hostNodeUntilSignal(config: NodeRuntimeConfig, modules: readonly RuntimeModule[], options: HostOptions, io: CommandIo): Promise<number> {
  const running = await startHostedNode(config, modules, options, io);
  io.stdout(`${bannerLines(running, options).join('\n')}\n`);
  options.onReady?.(running);
  await new Promise<void>((resolve) => {
    if (!io.signal) return; // No signal source: run until the process is killed.
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout('stopping: closing sessions and flushing files\n');
  await running.stop();
  io.stdout('stopped\n');
  return 0;
}
