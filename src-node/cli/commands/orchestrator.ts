// `pnode orchestrator`: runs the orchestrator role (issue 5 §3) until Ctrl-C: accepts PNode
// registrations and heartbeats, keeps leases, places VNodes, and serves the admin API on loopback.
import type { CommandSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { NODE_OPTIONS, runtimeConfigFrom } from '../node-options.js';
import { NETWORK_OPTIONS, applyNetwork } from '../network-options.js';
import { hostNodeUntilSignal } from '../node-host.js';
import { OrchestratorModule, checkHeartbeatInterval, type OrchestratorModuleOptions } from '../../services/orchestrator/orchestrator-module.js';
import { AUTHORITY_OPTIONS, orchestratorTrustFrom } from '../../services/authority/authority-options.js';
import { parseAdminListen } from '../../services/orchestrator/admin-auth.js';
import { adminFilePath } from '../../services/orchestrator/admin-file.js';
import { HEARTBEAT_INTERVAL_MS } from '../../../src-shared/membership/membership-profile.js';
import { WORK_OPTIONS, workBannerLine, workSchedulerModuleFrom } from '../../services/orchestrator/work/work-options.js';

export const ORCHESTRATOR_OPTIONS = [
  { name: 'admin-listen', type: 'string', valueName: 'url', description: 'Serve the admin API here: http://127.0.0.1:<port> (loopback only; bearer token in <data-dir>/admin.json)' },
  { name: 'heartbeat-interval-ms', type: 'number', valueName: 'ms', description: `Heartbeat interval PNodes are asked for (default ${HEARTBEAT_INTERVAL_MS}); a lease is three of them` },
] as const;

/** The orchestrator module for parsed arguments; UsageError for bad values. */
export function orchestratorModuleFrom(args: ParsedArgs, extra: Pick<OrchestratorModuleOptions, 'trust'> = {}): OrchestratorModule {
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
  return new OrchestratorModule({ heartbeatIntervalMs, ...(adminListen !== undefined ? { adminListen } : {}), ...extra });
}

export const orchestratorCommand: CommandSpec = {
  name: 'orchestrator',
  summary: 'Run an orchestrator until Ctrl-C',
  description:
    'Run an orchestrator: accept PNode registrations and heartbeats, keep their leases (three missed\n' +
    'heartbeats end one), place VNodes on registered PNodes, and serve the admin API on loopback\n' +
    '(GET /status, /pnodes, /vnodes, /metrics with the bearer token from <data-dir>/admin.json).',
  options: [...NODE_OPTIONS, ...NETWORK_OPTIONS, ...ORCHESTRATOR_OPTIONS, ...AUTHORITY_OPTIONS, ...WORK_OPTIONS],
  async run(context) {
    const base = runtimeConfigFrom(context.args, 'orchestrator', context.cwd, (line) => context.stderr(`${line}\n`));
    if (base.listen.length === 0) throw new UsageError('an orchestrator needs --listen (PNodes dial it)');
    // Trusted registration (issue 5 §5): the trust check, and the registration authority when it runs here.
    const trusted = await orchestratorTrustFrom(context.args, context.cwd, base.dataDir);
    const module = orchestratorModuleFrom(context.args, { trust: trusted.trust.hook });
    // Work (issue 7 §3): the scheduler runs beside the orchestrator module; --demo keeps the PNodes busy.
    const work = workSchedulerModuleFrom(context.args);
    // In a private (psk) network the orchestrator needs the key like every member.
    const config = await applyNetwork(base, context.args, { cwd: context.cwd });
    const controlPort = context.args.options['control-port'] as number | undefined;
    return hostNodeUntilSignal(config, [trusted.trust, module, ...(trusted.authority ? [trusted.authority] : []), work], {
      ui: context.args.options['ui'] === true,
      controlPort,
      banner: () => [
        `role       orchestrator: heartbeat every ${module.heartbeatIntervalMs} ms, lease ${module.orchestrator.leaseMs} ms`,
        module.admin ? `admin      ${module.admin.url} (bearer token in ${adminFilePath(config.dataDir)})` : 'admin      off (start with --admin-listen http://127.0.0.1:<port>)',
        ...trusted.banner(),
        workBannerLine(work),
      ],
    }, context);
  },
};
