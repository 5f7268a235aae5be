/** The UI shows the same hardware summary the node would send an orchestrator. */
export type { HardwareSummary as HardwareView } from '../hardware/hardware-summary.js';
