import { useId } from 'react';
import type { NodeState, OrchestratorView, SuspendReason } from '../../src-shared/control/state.js';
import { Card } from '../components/Card.js';
import { ContributionChart } from '../components/ContributionChart.js';
import { CpuMeter } from '../components/CpuMeter.js';
import { CurrentWork } from '../components/CurrentWork.js';
import { NodeName } from '../components/NodeName.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { SnoozeControls } from '../components/SnoozeControls.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { SuspendReasons } from '../components/SuspendReasons.js';
import { Switch } from '../components/Switch.js';
import { TotalsTable } from '../components/TotalsTable.js';
import { formatClockTime, formatCredit, formatRelative } from '../format.js';
import { CONTRIBUTION_STATUS_HINT } from '../labels.js';
import { useNavigate } from '../navigation.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { useHistory } from '../use-history.js';
import { useNow } from '../use-now.js';

/** The status in one sentence, the snooze's end included (said once, here). */
function statusSentence(node: NodeState, now: number): string {
  const { contribution } = node;
  if (contribution.status === 'snoozed' && contribution.snoozedUntil !== null) return `Snoozed until ${formatClockTime(contribution.snoozedUntil, now)}; it resumes by itself.`;
  if (!node.network.joined) return 'This computer has not joined the network.';
  return CONTRIBUTION_STATUS_HINT[contribution.status];
}

/** Reasons worth a card: not those the status sentence already gives, nor "no orchestrator" while off. */
export function reasonsToShow(node: NodeState): SuspendReason[] {
  const { contribution } = node;
  if (contribution.status === 'contributing') return [];
  const said: SuspendReason[] = ['snoozed', 'not-joined', 'contribution-off'];
  const off = !node.network.joined || !contribution.enabled;
  return contribution.suspendReasons.filter((reason) => !said.includes(reason) && !(off && reason === 'no-orchestrator'));
}

function orchestratorWords(orchestrator: OrchestratorView, now: number): string {
  switch (orchestrator.status) {
    case 'registered':
      return `connected${orchestrator.registeredAt !== null ? ` since ${formatClockTime(orchestrator.registeredAt, now)}` : ''}`;
    case 'connecting':
      return 'connecting…';
    case 'lost':
      return `out of touch${orchestrator.lastHeartbeatAt !== null ? ` since ${formatRelative(orchestrator.lastHeartbeatAt, now)}` : ''}`;
  }
}

function NetworkCard({ node, now }: { node: NodeState; now: number }) {
  const connectedPeers = node.peers.filter((p) => p.lifecycle === 'connected').length;
  const registered = node.orchestrators.filter((o) => o.status === 'registered').length;
  const summary = !node.network.joined
    ? 'Not joined.'
    : registered > 0
      ? `Connected: ${registered === 1 ? 'a coordinator hands out work to this computer' : `${registered} coordinators hand out work to this computer`}.`
      : node.orchestrators.length === 0
        ? 'Looking for the network’s coordinator…'
        : 'Not connected to any coordinator right now; it keeps trying.';
  return (
    <Card title="Network" className="card-network">
      <p>{summary}</p>
      <p className="muted">
        {connectedPeers} {connectedPeers === 1 ? 'peer' : 'peers'} connected, {node.peers.length} known.
      </p>
      {node.orchestrators.length > 0 && (
        <ul className="orchestrators">
          {node.orchestrators.map((o) => (
            <li key={o.nodeId} className="orchestrator">
              <NodeName id={o.nodeId} what="coordinator id" /> <span className="muted">{orchestratorWords(o, now)}</span>
              <details className="details-line">
                <summary>Technical details</summary>
                <dl className="facts facts-inline small">
                  <div className="fact">
                    <dt>Address</dt>
                    <dd>
                      <code className="wrap">{o.url}</code>
                    </dd>
                  </div>
                  <div className="fact">
                    <dt>Role</dt>
                    <dd>{o.primary ? 'primary' : 'standby'}</dd>
                  </div>
                  <div className="fact">
                    <dt>Last heartbeat</dt>
                    <dd>{formatRelative(o.lastHeartbeatAt, now)}</dd>
                  </div>
                  <div className="fact">
                    <dt>Lease</dt>
                    <dd>{o.leaseExpiresAt === null ? 'none' : o.leaseExpiresAt > now ? `ends ${formatRelative(o.leaseExpiresAt, now)}` : `ended ${formatRelative(o.leaseExpiresAt, now)}`}</dd>
                  </div>
                  <div className="fact">
                    <dt>Heartbeats answered</dt>
                    <dd>{o.heartbeatsAcked}</dd>
                  </div>
                </dl>
              </details>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** Contribution at a glance: the switch, what this computer gives and has given, what it works on, its credit. */
export function DashboardScreen({ node }: { node: NodeState }) {
  const send = useNode((s) => s.send);
  const toggling = useNode((s) => isPending(s, 'set-contribution'));
  const joining = useNode((s) => isPending(s, 'join'));
  const history = useHistory();
  const navigate = useNavigate();
  const now = useNow();
  const statusId = useId();
  const { contribution, credit, work } = node;
  const reasons = reasonsToShow(node);
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
      <div className="grid">
        <Card title="Contribution" className="card-contribution">
          <Switch
            large
            label="Share spare compute"
            checked={contribution.enabled}
            disabled={toggling || !node.network.joined}
            describedBy={statusId}
            onChange={(enabled) => void send({ command: 'set-contribution', enabled })}
          />
          <div id={statusId} className="status-line">
            <span className="sr-only">Status: </span>
            <StatusBadge status={contribution.status} />
            <span className="muted">{statusSentence(node, now)}</span>
          </div>
          {reasons.length > 0 && <SuspendReasons contribution={{ ...contribution, suspendReasons: reasons }} now={now} />}
          {node.network.joined && contribution.enabled && <SnoozeControls contribution={contribution} />}
        </Card>
        <Card
          title="Working on"
          actions={
            <button type="button" className="button-link" onClick={() => navigate('vnodes')}>
              All work
            </button>
          }
        >
          <CurrentWork work={work} compact />
        </Card>
        <Card title="What this computer gives" className="card-wide">
          <CpuMeter cpu={work.cpu} running={work.running.length > 0} />
          <TotalsTable history={node.contributionHistory} />
          {history !== null ? <ContributionChart detail={history} /> : <p className="muted">Loading the history…</p>}
        </Card>
        <Card
          title="Credit"
          actions={
            <button type="button" className="button-link" onClick={() => navigate('credit')}>
              All credit
            </button>
          }
        >
          <p className="big-figure">
            {formatCredit(credit.total)} <span className="muted small">credits in all</span>
          </p>
          <ul className="count-list">
            <li>
              <strong>{credit.validated}</strong> validated
            </li>
            <li>
              <strong>{credit.pending}</strong> waiting for validation
            </li>
            <li>
              <strong>{credit.rejected}</strong> not accepted
            </li>
          </ul>
        </Card>
        <NetworkCard node={node} now={now} />
      </div>
    </>
  );
}
