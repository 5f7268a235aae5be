// What a PNode announces on its network's DHT beyond the kernel's core/messaging (issue 16 §2): the
// compute profiles of src-shared/membership/compute-capabilities.ts, following the hardware and the
// volunteer's availability as they change.
import { computeCapabilities } from '../../src-shared/membership/compute-capabilities.js';
import type { CapabilitySource } from '../kernel/dht/dht-module.js';
import type { AvailabilityFeed } from './availability/availability.js';
import type { HardwareSource } from './hardware/hardware-module.js';

/** The contributor's capability source for the DHT module: follows the hardware and availability. */
export function contributorCapabilities(hardware: HardwareSource, availability: AvailabilityFeed): CapabilitySource {
  return {
    current: () => computeCapabilities(hardware.current(), availability.current()),
    subscribe(listener) {
      let last = JSON.stringify(computeCapabilities(hardware.current(), availability.current()));
      const check = (): void => {
        const next = JSON.stringify(computeCapabilities(hardware.current(), availability.current()));
        if (next === last) return;
        last = next;
        listener();
      };
      hardware.on('changed', check);
      availability.on('changed', check);
      return () => {
        hardware.off('changed', check);
        availability.off('changed', check);
      };
    },
  };
}
