import { useId } from 'react';
import type { NodeState, OrchestratorView, VNodeView } from '../../src-shared/control/state.js';
import { Card } from '../components/Card.js';
import { NodeIdText } from '../components/NodeIdText.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { SnoozeControls } from '../components/SnoozeControls.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { SuspendReasons } from '../components/SuspendReasons.js';
import { Switch } from '../components/Switch.js';
import { formatDuration, formatRelative, formatUptime } from '../format.js';
import { CONTRIBUTION_STATUS_HINT, ORCHESTRATOR_STATUS_LABEL } from '../labels.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { useNow } from '../use-now.js';

function Orchestrator({ orchestrator, now }: { orchestrator: OrchestratorView; now: number }) {
  return (
    <li className="orchestrator">
      <div className="orchestrator-head">
        <span className={`badge orch-${orchestrator.status}`}>{ORCHESTRATOR_STATUS_LABEL[orchestrator.status]}</span>
        {orchestrator.primary && <span className="badge badge-plain">primary</span>}
        <span className="url">{orchestrator.url}</span>
      </div>
      <dl className="facts facts-inline">
        <div className="fact">
          <dt>Node</dt>
          <dd>
            <NodeIdText id={orchestrator.nodeId} />
          </dd>
        </div>
        <div className="fact">
          <dt>Last heartbeat</dt>
          <dd>{formatRelative(orchestrator.lastHeartbeatAt, now)}</dd>
        </div>
        <div className="fact">
          <dt>Lease</dt>
          <dd>
            {orchestrator.leaseExpiresAt === null
              ? 'none'
              : orchestrator.leaseExpiresAt > now
                ? `ends ${formatRelative(orchestrator.leaseExpiresAt, now)}`
                : `ended ${formatRelative(orchestrator.leaseExpiresAt, now)}`}
          </dd>
        </div>
        <div className="fact">
          <dt>Heartbeats answered</dt>
          <dd>{orchestrator.heartbeatsAcked}</dd>
        </div>
      </dl>
    </li>
  );
}

function vnodeSummary(vnodes: readonly VNodeView[]): string {
  const live = vnodes.filter((v) => v.state === 'running' || v.state === 'allocated' || v.state === 'paused');
  if (live.length === 0) return 'none';
  const running = live.filter((v) => v.state === 'running').length;
  const paused = live.filter((v) => v.state === 'paused').length;
  const cores = live.reduce((sum, v) => sum + v.cores, 0);
  return `${live.length} (${running} running, ${paused} paused), ${cores} ${cores === 1 ? 'core' : 'cores'}`;
}

function Glance({ node, now }: { node: NodeState; now: number }) {
  const hot = node.peers.filter((p) => p.temperature === 'hot').length;
  const tasks = node.vnodes.reduce((sum, v) => sum + v.tasksDone, 0);
  const cpuToday = node.vnodes.reduce((sum, v) => sum + v.cpuMsToday, 0);
  return (
    <dl className="facts">
      <div className="fact">
        <dt>Uptime</dt>
        <dd>
          <time className="tabular">{formatUptime(now - node.startedAt)}</time>
        </dd>
      </div>
      <div className="fact">
        <dt>Hot peers</dt>
        <dd>
          {hot} of {node.peers.length} known
        </dd>
      </div>
      <div className="fact">
        <dt>VNodes</dt>
        <dd>{vnodeSummary(node.vnodes)}</dd>
      </div>
      <div className="fact">
        <dt>Tasks done</dt>
        <dd>{tasks}</dd>
      </div>
      <div className="fact">
        <dt>CPU time today</dt>
        <dd>{formatDuration(cpuToday)}</dd>
      </div>
    </dl>
  );
}

/** Contribution at a glance: the big switch, status, why not, orchestrators, peers, uptime. */
export function DashboardScreen({ node }: { node: NodeState }) {
  const send = useNode((s) => s.send);
  const toggling = useNode((s) => isPending(s, 'set-contribution'));
  const joining = useNode((s) => isPending(s, 'join'));
  const now = useNow();
  const statusId = useId();
  const { contribution } = node;
  const showReasons = contribution.status !== 'contributing' && contribution.suspendReasons.length > 0;
  return (
    <>
      <ScreenHeading>Dashboard</ScreenHeading>
      {!node.network.joined && (
        <div className="banner banner-warn">
          <span>This computer has not joined the network, so it cannot contribute yet.</span>
          <button type="button" className="button-primary" disabled={joining} onClick={() => void send({ command: 'join' })}>
            Join network
          </button>
        </div>
      )}
      {node.identity?.keystore === 'file' && (
        <div className="banner banner-warn" role="note">
          <span>
            <strong>This node’s secret key is in a plain file</strong>, not in a keychain. See Settings › Identity.
          </span>
        </div>
      )}
      <div className="grid">
        <Card title="Contribution" className="card-contribution">
          <Switch
            large
            label="Share spare compute"
            checked={contribution.enabled}
            disabled={toggling}
            describedBy={statusId}
            onChange={(enabled) => void send({ command: 'set-contribution', enabled })}
          />
          <div id={statusId} className="status-line">
            <span className="sr-only">Status: </span>
            <StatusBadge status={contribution.status} />
            <span className="muted">{CONTRIBUTION_STATUS_HINT[contribution.status]}</span>
          </div>
          <SnoozeControls contribution={contribution} />
        </Card>
        {showReasons && (
          <Card title="Why not contributing?">
            <SuspendReasons contribution={contribution} now={now} />
          </Card>
        )}
        <Card title="At a glance">
          <Glance node={node} now={now} />
        </Card>
        <Card title={node.orchestrators.length > 1 ? 'Orchestrators' : 'Orchestrator'} className="card-wide">
          {node.orchestrators.length === 0 ? (
            <p className="muted">No orchestrator yet. The node looks for one once it has joined.</p>
          ) : (
            <ul className="orchestrators">
              {node.orchestrators.map((o) => (
                <Orchestrator key={o.nodeId} orchestrator={o} now={now} />
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
