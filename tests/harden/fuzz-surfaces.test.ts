// Smoke run of the fuzz targets of the network surfaces over real loopback sockets
// (harden/targets/http.ts, ws.ts): the directory and admin HTTP APIs, the control server, a peer listener.
import { SMOKE_GROUPS, smokeTargets } from './smoke.js';

smokeTargets('fuzzing the HTTP and WebSocket surfaces (smoke)', SMOKE_GROUPS.surfaces);
