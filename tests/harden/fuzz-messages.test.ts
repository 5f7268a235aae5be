// Smoke run of the fuzz targets of the session message kinds of the core, discovery and
// membership (harden/targets/protocol.ts); fuzz-messages-work.test.ts has the others.
import { SMOKE_GROUPS, smokeTargets } from './smoke.js';

smokeTargets('fuzzing the core, discovery and membership session messages (smoke)', SMOKE_GROUPS.messages);
