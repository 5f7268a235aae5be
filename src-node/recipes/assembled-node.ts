// What every recipe hands back: the running kernel, its control surface (NodeControl, fed by the
// components the recipe lists), the role's banner lines, and one stop for all of it.
import { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import type { ControlSource, RuntimeModule } from '../kernel/runtime/runtime-module.js';
import { NodeControl, type NodeControlOptions } from '../control/node-control.js';

export interface AssembledNode {
  readonly runtime: NodeRuntime;
  readonly control: NodeControl;
  /** Lines about the role for the start banner (URLs, network, bootstrap sources). */
  banner(): readonly string[];
  /** Stops the control surface, the components (in reverse order) and the kernel; safe twice. */
  stop(): Promise<void>;
}

/** Options every recipe passes on to NodeControl. */
export type ControlSetup = Pick<NodeControlOptions, 'launchAtLogin'>;

export interface Assembly<Parts> {
  /** The components in start order. */
  readonly modules: readonly RuntimeModule[];
  /** The components the UI reads and commands (a subset of modules, usually). */
  readonly sources: readonly ControlSource[];
  readonly availability?: NodeControlOptions['availability'];
  readonly configuredDirectories?: NodeControlOptions['configuredDirectories'];
  readonly banner: () => readonly string[];
  /** The role's components by name, for hosts and tests. */
  readonly parts: Parts;
}

/**
 * Opens the kernel, lets `build` make the role's components from its parts, starts them, and wires
 * NodeControl to them. A failure anywhere stops what started and rethrows.
 */
export async function assembleNode<Parts>(config: NodeConfig, build: (runtime: NodeRuntime) => Assembly<Parts> | Promise<Assembly<Parts>>, control: ControlSetup = {}): Promise<AssembledNode & Parts> {
  let assembly: Assembly<Parts> | undefined;
  const runtime = await NodeRuntime.launch(config, async (opened) => {
    assembly = await build(opened);
    return assembly.modules;
  });
  const built = assembly!;
  const nodeControl = new NodeControl(runtime, { ...control, sources: built.sources, availability: built.availability, configuredDirectories: built.configuredDirectories });
  let stopping: Promise<void> | undefined;
  return {
    ...built.parts,
    runtime,
    control: nodeControl,
    banner: built.banner,
    stop() {
      stopping ??= (async () => {
        nodeControl.stop();
        await runtime.stop();
      })();
      return stopping;
    },
  };
}
