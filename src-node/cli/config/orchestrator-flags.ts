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
//   --store sqlite | postgres://…     the job store (issue 13 §3): SQLite in the data dir, or a
//                                     PostgreSQL server several orchestrators share
//   --blob-dir <dir>                  where blobs live (shared with the other orchestrators of a
//                                     PostgreSQL store)
//   --jobs-listen <url>               serve the job API (http://127.0.0.1:<port>, or https:// with
//                                     --tls-cert/--tls-key)
//   --project-key z…                  also take work from this project key (repeatable; the
//                                     network descriptor's projects are taken anyway)
//   --dev-loopback                    devnets on one machine: PNodes on loopback count as separate
//                                     addresses (never in a deployment)
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
import { parseJobListen } from '../../services/orchestrator/jobs/job-server.js';
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
  { name: 'store', type: 'string', valueName: 'sqlite|url', description: 'The job store: sqlite (default, <data-dir>/jobs/jobs.sqlite) or postgres://user@host:port/db, shared by several orchestrators' },
  { name: 'blob-dir', type: 'string', valueName: 'dir', description: 'Where blobs (modules, input files) live (default <data-dir>/jobs/blobs; orchestrators sharing a PostgreSQL store share it)' },
  { name: 'jobs-listen', type: 'string', valueName: 'url', description: 'Serve the job API for projects here: http://127.0.0.1:<port> (loopback), or https://<host>:<port> with --tls-cert and --tls-key' },
  { name: 'project-key', type: 'list', valueName: 'z…', description: 'Also take work from this project key (the network descriptor\'s projects are taken anyway)' },
  { name: 'dev-loopback', type: 'boolean', description: 'Devnets on one machine: PNodes connecting from loopback count as separate addresses (never in a deployment)' },
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

/** The work scheduler's part: the job store, the job API, projects, the demo; UsageError for bad values. */
export function workSetupFrom(args: ParsedArgs, cwd: string): WorkSchedulerModuleOptions {
  const out: { -readonly [K in keyof WorkSchedulerModuleOptions]: WorkSchedulerModuleOptions[K] } = {};
  const text = args.options['demo'];
  if (text !== undefined) {
    try {
      out.demo = parseDemoSpec(String(text));
    } catch (error) {
      throw new UsageError(`--demo: ${(error as Error).message}`);
    }
  }
  const store = args.options['store'] as string | undefined;
  if (store !== undefined) {
    if (store !== 'sqlite' && !/^postgres(ql)?:\/\//.test(store)) throw new UsageError('--store is sqlite or a postgres://user@host:port/database URL');
    out.store = store;
  }
  const blobDir = args.options['blob-dir'] as string | undefined;
  if (blobDir !== undefined) out.blobDir = resolve(cwd, blobDir);
  const jobsListen = args.options['jobs-listen'] as string | undefined;
  if (jobsListen !== undefined) {
    try {
      parseJobListen(jobsListen);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (jobsListen.startsWith('https:') && args.options['tls-cert'] === undefined) throw new UsageError('an https:// --jobs-listen needs --tls-cert and --tls-key');
    out.jobsListen = jobsListen;
  }
  const keys = (args.options['project-key'] as string[] | undefined) ?? [];
  for (const key of keys) {
    try {
      parseFingerprint(key);
    } catch {
      throw new UsageError(`--project-key ${JSON.stringify(key)} is not a did:key fingerprint (z…): pnode project keygen prints one`);
    }
  }
  if (keys.length > 0) out.projects = keys.map((key) => ({ key, name: `project ${key.slice(0, 12)}…`, source: 'flag' as const }));
  if (args.options['dev-loopback'] === true) out.devLoopback = true;
  return out;
}

/** The whole deployment's setup from its flags. */
export async function orchestratorSetupFrom(args: ParsedArgs, cwd: string, dataDir: string): Promise<OrchestratorSetup> {
  const work = workSetupFrom(args, cwd);
  const orchestrator = orchestratorOptionsFrom(args);
  return { orchestrator: work.devLoopback ? { ...orchestrator, devLoopback: true } : orchestrator, ...(await trustSetupFrom(args, cwd, dataDir)), work, directories: directoriesFromArgs(args) };
}
