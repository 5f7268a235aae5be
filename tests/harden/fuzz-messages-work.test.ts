// Smoke run of the fuzz targets of the work and trusted-registration session messages
// (harden/targets/protocol.ts); fuzz-messages.test.ts has the others.
import { SMOKE_GROUPS, smokeTargets } from './smoke.js';

smokeTargets('fuzzing the work and trust session messages (smoke)', SMOKE_GROUPS.workMessages);
