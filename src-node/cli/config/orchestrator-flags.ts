// The orchestrator deployment's flags and their translation into its setup (recipes/orchestrator-
// node.ts): the orchestrator, trusted registration (issue 5 §5) and the work scheduler (issue 7 §3).
//   --admin-listen URL, --heartbeat-interval-ms N   the orchestrator
//   --authority                       run the registration authority in this process (its key is
//                                     made on the first start); on by default when the data dir
//                                     has one (<data-dir>/authority/authority.json)
//   --authority-key z…                also trust credentials issued by this authority (repeatable)
//   --revocation-list <file>          a signed revocation-list.v1 of such an authority, re-read
//                                     when it changes (repeatable)
//   --credential-validity-minutes N   validity of the credentials this authority issues
//   --demo <spec>                     keep the PNodes busy with the demo project (demo.ts)
//   --directory <url>                 a seed directory where revocation lists are published and
//                                     fetched (repeatable; the network descriptor's follow)
// The network descriptor's registration-authority/key is trusted too.
import { resolve } from 'node:path';
import type { OptionSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { parseFingerprint } from '../../../src-shared/protocol/did-key.js';
import { HEARTBEAT_INTERVAL_MS } from '../../../src-shared/membership/membership-profile.js';
import { DEFAULT_CREDENTIAL_VALIDITY_MS, MAX_CREDENTIAL_VALIDITY_MS } from '../../../src-shared/trust/trust-profile.js';
import { readAuthorityRecord } from '../../services/authority/authority-key.js';
import { checkHeartbeatInterval, type OrchestratorModuleOptions } from '../../services/orchestrator/orchestrator-module.js';
import { parseAdminListen } from '../../services/orchestrator/admin-auth.js';
import { DEMO_KINDS, parseDemoSpec } from '../../services/orchestrator/work/demo.js';
import type { WorkSchedulerModuleOptions } from '../../services/orchestrator/work/work-scheduler-module.js';
import type { OrchestratorSetup } from '../../recipes/orchestrator-node.js';
import { directoriesFromArgs } from './discovery-flags.js';

const MINUTE_MS = 60_000;
export const MAX_CREDENTIAL_VALIDITY_MINUTES = Math.floor(MAX_CREDENTIAL_VALIDITY_MS / MINUTE_MS);

export const ORCHESTRATOR_FLAGS: readonly OptionSpec[] = [
  { name: 'admin-listen', type: 'string', valueName: 'url', description: 'Serve the admin API here: http://127.0.0.1:<port> (loopback only; bearer token in <data-dir>/admin.json)' },
  { name: 'heartbeat-interval-ms', type: 'number', valueName: 'ms', description: `Heartbeat interval PNodes are asked for (default ${HEARTBEAT_INTERVAL_MS}); a lease is three of them` },
];

export const AUTHORITY_FLAGS: readonly OptionSpec[] = [
  { name: 'authority', type: 'boolean', description: 'Run the registration authority here (trusted registration; its key is made on first start, and it is on by default once the data dir has one)' },
  { name: 'authority-key', type: 'list', valueName: 'z…', description: 'Also trust operator credentials issued by this registration authority key' },
  { name: 'revocation-list', type: 'list', valueName: 'file', description: "Another authority's signed revocation-list.v1 to check (re-read when it changes)" },
  {
    name: 'credential-validity-minutes',
    type: 'number',
    valueName: 'n',
    description: `Validity of the operator credentials this authority issues (default ${DEFAULT_CREDENTIAL_VALIDITY_MS / MINUTE_MS}, renewed on their own at 2/3)`,
  },
];

export const WORK_FLAGS: readonly OptionSpec[] = [
  {
    name: 'demo',
    type: 'string',
    valueName: 'spec',
    description: `Keep the PNodes busy with demo jobs, one after another: ${DEMO_KINDS.join(' | ')}, with settings after a colon: mandelbrot:size=64,tiles=8,iterations=2000 or primes:span=2000000,tasks=32 (pictures go to <data-dir>/demo/)`,
  },
];

/** The orchestrator's own options; UsageError for bad values. */
export function orchestratorOptionsFrom(args: ParsedArgs): OrchestratorModuleOptions {
  const interval = args.options['heartbeat-interval-ms'];
  let heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS;
  if (interval !== undefined) {
    try {
      heartbeatIntervalMs = checkHeartbeatInterval(interval as number);
    } catch (error) {
      throw new UsageError(`--heartbeat-interval-ms: ${(error as Error).message}`);
    }
  }
  const adminListen = args.options['admin-listen'] as string | undefined;
  if (adminListen !== undefined) {
    try {
      parseAdminListen(adminListen);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return { heartbeatIntervalMs, ...(adminListen !== undefined ? { adminListen } : {}) };
}

/** Trusted registration's part of the setup: keys and lists to trust, and the authority when it runs here. */
export async function trustSetupFrom(args: ParsedArgs, cwd: string, dataDir: string): Promise<Pick<OrchestratorSetup, 'trust' | 'authority'>> {
  const keys = (args.options['authority-key'] as string[] | undefined) ?? [];
  for (const key of keys) {
    try {
      parseFingerprint(key);
    } catch {
      throw new UsageError(`--authority-key ${JSON.stringify(key)} is not a did:key fingerprint (z…)`);
    }
  }
  const minutes = args.options['credential-validity-minutes'];
  if (minutes !== undefined && (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_CREDENTIAL_VALIDITY_MINUTES)) {
    throw new UsageError(`--credential-validity-minutes must be a whole number from 1 to ${MAX_CREDENTIAL_VALIDITY_MINUTES}`);
  }
  const run = args.options['authority'] === true || (await readAuthorityRecord(dataDir)) !== undefined;
  if (!run && minutes !== undefined) throw new UsageError('--credential-validity-minutes needs --authority');
  const files = ((args.options['revocation-list'] as string[] | undefined) ?? []).map((f) => resolve(cwd, f));
  return {
    trust: { authorityKeys: keys, revocationListFiles: files },
    authority: run ? (minutes !== undefined ? { credentialValidityMs: (minutes as number) * MINUTE_MS } : {}) : null,
  };
}

/** The work scheduler's part: `--demo` runs the demo project from the start; UsageError for a bad spec. */
export function workSetupFrom(args: ParsedArgs): WorkSchedulerModuleOptions {
  const text = args.options['demo'];
  if (text === undefined) return {};
  try {
    return { demo: parseDemoSpec(String(text)) };
  } catch (error) {
    throw new UsageError(`--demo: ${(error as Error).message}`);
  }
}

/** The whole deployment's setup from its flags. */
export async function orchestratorSetupFrom(args: ParsedArgs, cwd: string, dataDir: string): Promise<OrchestratorSetup> {
  return { orchestrator: orchestratorOptionsFrom(args), ...(await trustSetupFrom(args, cwd, dataDir)), work: workSetupFrom(args), directories: directoriesFromArgs(args) };
}
