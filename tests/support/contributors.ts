// A contributor's components for tests that run some of them on a test node: hardware (detected,
// as a real PNode does), Availability, and membership over them; the VNode host when asked.
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../../src-node/kernel/runtime/runtime-module.js';
import { Availability } from '../../src-node/contributor/availability/availability.js';
import { HardwareModule, type HardwareModuleOptions } from '../../src-node/contributor/hardware/hardware-module.js';
import { MembershipModule, type MembershipModuleOptions } from '../../src-node/contributor/membership/membership-module.js';
import { VNodeHostModule, type VNodeHostModuleOptions } from '../../src-node/contributor/vnode/vnode-module.js';

export interface MembershipParts {
  readonly hardware: HardwareModule;
  readonly availability: Availability;
  readonly membership: MembershipModule;
  readonly vnodes: VNodeHostModule | undefined;
  /** In start order. */
  readonly modules: readonly RuntimeModule[];
}

export interface MembershipPartsOptions {
  readonly hardware?: HardwareModuleOptions;
  /** Run a VNode host under membership (the options for it). */
  readonly vnodeHost?: VNodeHostModuleOptions;
}

export function membershipParts(runtime: NodeRuntime, options: MembershipModuleOptions, extra: MembershipPartsOptions = {}): MembershipParts {
  const kernel = runtime.components;
  const hardware = new HardwareModule(kernel, extra.hardware);
  const availability = new Availability(kernel);
  const vnodes = extra.vnodeHost ? new VNodeHostModule({ ...kernel, availability }, extra.vnodeHost) : undefined;
  const membership = new MembershipModule({ ...kernel, availability, hardware, ...(vnodes ? { vnodes } : {}) }, options);
  return { hardware, availability, membership, vnodes, modules: [hardware, availability, ...(vnodes ? [vnodes] : []), membership] };
}
