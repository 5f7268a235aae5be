// Smoke run of the fuzz targets of the other decoders (harden/targets/decoders.ts): VNode work,
// control commands, identity files and backups, network texts, peers.json and settings.json.
import { SMOKE_GROUPS, smokeTargets } from './smoke.js';

smokeTargets('fuzzing the decoders of work, commands and files (smoke)', SMOKE_GROUPS.decoders);
