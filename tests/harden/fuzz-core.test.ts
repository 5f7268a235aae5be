// Smoke run of the fuzz targets of the protocol core (harden/targets/protocol.ts): deterministic
// CBOR, every artifact gate, the hardware gate, both handshake messages, session frames and envelopes.
import { SMOKE_GROUPS, smokeTargets } from './smoke.js';

smokeTargets('fuzzing the protocol core (smoke)', SMOKE_GROUPS.core);
