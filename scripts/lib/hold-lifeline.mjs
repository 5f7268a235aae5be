// Injected first into every bundled bench and harden file (run-ts-files.mjs): when the runner is
// gone, the file stops at once; its own children hold lifelines to it and stop after it.
import { holdLifeline } from '../../src-node/kernel/process/lifeline.ts';

holdLifeline({
  onLost: () => process.exit(1),
  log: (line) => process.stderr.write(`${process.argv[1] ?? 'child'}: ${line}\n`),
});
