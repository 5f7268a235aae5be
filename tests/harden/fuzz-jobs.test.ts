// Smoke run of the job API's fuzz target over a real loopback socket (harden/targets/http.ts:
// http:jobs): signed, unsigned, foreign, replayed and mutated requests against a real job API.
import { SMOKE_GROUPS, smokeTargets } from './smoke.js';

smokeTargets('fuzzing the job API (smoke)', SMOKE_GROUPS.jobs);
