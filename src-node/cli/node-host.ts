// Runs one node until SIGINT/SIGTERM: a node a recipe assembled, its control server, control.json
// for local tools, and a readable start banner. Shared by `pnode node`, the services and devnet's
// children.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandIo } from './args.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { ControlHandler } from '../control/control-handler.js';
import { startControlServer, type ControlServer } from '../control/control-server.js';
import { removeControlFile, writeControlFile, controlFilePath } from '../control/control-file.js';
import { rendererDir } from '../kernel/util/package-root.js';
import { startAtStableAddress } from '../control/dashboard-file.js';
import { watchParent } from '../kernel/util/parent-watch.js';

export interface HostOptions {
  readonly ui: boolean;
  readonly controlPort?: number | undefined;
  /** With ui: forget the remembered dashboard token and make a new one (the old link stops working). */
  readonly newDashboardLink?: boolean;
  /** Stop when this process is gone (a child of the local test network; see kernel/util/parent-watch.ts). */
  readonly parentPid?: number | undefined;
  /** Called once everything is up (tests, devnet). */
  readonly onReady?: (host: RunningNode) => void;
}

/**
 * What a host serves: an assembled node (a recipe's), or a contributor that can change networks
 * (recipes/network-host.ts), whose runtime is the one running when hosting starts.
 */
export interface HostedNode {
  readonly runtime: NodeRuntime;
  readonly control: ControlHandler;
  banner(): readonly string[];
  stop(): Promise<void>;
}

export interface RunningNode {
  readonly runtime: NodeRuntime;
  readonly control: ControlHandler;
  readonly server: ControlServer;
  stop(): Promise<void>;
}

/** Serves a node's control surface; the caller decides when to stop it. */
export async function startHostedNode(node: HostedNode, options: HostOptions, io: Pick<CommandIo, 'stderr'>): Promise<RunningNode & { readonly node: HostedNode }> {
  const { runtime, control } = node;
  const config = runtime.config;
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
    // With the dashboard: the same address across restarts (dashboard-file.ts); without: a port and token per run.
    server = staticDir
      ? await startAtStableAddress(config.dataDir, { fixedPort: options.controlPort, newToken: options.newDashboardLink === true }, (port, token) =>
          startControlServer({ handler: control, ...(port !== undefined ? { port } : {}), token, staticDir }),
        )
      : await startControlServer({ handler: control, ...(options.controlPort !== undefined ? { port: options.controlPort } : {}), staticDir });
    await writeControlFile(config.dataDir, { url: server.url, token: server.token, pid: process.pid, nodeId: runtime.identity.nodeId, uiUrl: server.uiUrl });
  } catch (error) {
    await node.stop();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    node,
    runtime,
    control,
    server,
    stop() {
      stopping ??= (async () => {
        await server.close();
        await node.stop();
        await removeControlFile(config.dataDir);
      })();
      return stopping;
    },
  };
}

export function bannerLines(running: RunningNode & { readonly node: HostedNode }): string[] {
  const { runtime, server } = running;
  const lines = [
    `pnode ${runtime.config.version} (${runtime.config.role})`,
    `node/id    ${runtime.identity.nodeId}`,
    ...runtime.listenUrls().map((url) => `listening  ${url}`),
    ...(runtime.listenUrls().length === 0 ? ['listening  (none: dial-only)'] : []),
    `keystore   ${runtime.keystore.kind === 'file' ? `plain file ${runtime.keystore.location}` : runtime.keystore.location}`,
    `control    ${server.url} (token in ${controlFilePath(runtime.config.dataDir)})`,
    ...(server.uiUrl ? [`dashboard  ${server.uiUrl}`] : []),
    ...running.node.banner(),
  ];
  return lines;
}

/** Assembles a node (a recipe), runs it until the command's abort signal fires, then stops everything and flushes files. */
export async function hostNodeUntilSignal(assemble: () => Promise<HostedNode>, options: HostOptions, io: CommandIo): Promise<number> {
  const running = await startHostedNode(await assemble(), options, io);
  io.stdout(`${bannerLines(running).join('\n')}\n`);
  options.onReady?.(running);
  let parentGone = false;
  let unwatch: (() => void) | undefined;
  await new Promise<void>((resolve) => {
    if (options.parentPid !== undefined) {
      unwatch = watchParent(options.parentPid, () => {
        parentGone = true;
        resolve();
      });
    }
    if (!io.signal) return; // No signal source: run until the process is killed.
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  unwatch?.();
  io.stdout(parentGone ? `stopping: the process that started this one (pid ${options.parentPid}) is gone\n` : 'stopping: closing sessions and flushing files\n');
  await running.stop();
  io.stdout('stopped\n');
  return 0;
}
