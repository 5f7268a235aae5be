import type { NodeState, VNodeView } from '../../src-shared/control/state.js';
import { CurrentWork } from '../components/CurrentWork.js';
import { Card } from '../components/Card.js';
import { NodeName } from '../components/NodeName.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClockTime, formatDuration, formatMegabytes } from '../format.js';
import { VNODE_STATE_LABEL } from '../labels.js';

function VNodeRow({ vnode, now, index }: { vnode: VNodeView; now: number; index: number }) {
  return (
    <tr>
      <th scope="row">
        <details className="node-name">
          <summary>Work space {index + 1}</summary>
          <code className="wrap">{vnode.vnodeId}</code>
        </details>
      </th>
      <td>
        <span className={`badge vnode-${vnode.state}`}>{VNODE_STATE_LABEL[vnode.state]}</span>
        {vnode.pausedReason !== null && <div className="muted small reason">{vnode.pausedReason}</div>}
      </td>
      <td className="num">{vnode.cores}</td>
      <td className="num">{formatMegabytes(vnode.memoryMb)}</td>
      <td className="num">{vnode.tasksDone}</td>
      <td className="num">{formatDuration(vnode.cpuMsToday)}</td>
      <td>
        <NodeName id={vnode.orchestrator} what="coordinator id" />
      </td>
      <td className="cell-time">{formatClockTime(vnode.since, now)}</td>
    </tr>
  );
}

function VNodeTable({ vnodes, now, label }: { vnodes: readonly VNodeView[]; now: number; label: string }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">Work space</th>
            <th scope="col">State</th>
            <th scope="col" className="num">Cores</th>
            <th scope="col" className="num">Memory</th>
            <th scope="col" className="num">Tasks</th>
            <th scope="col" className="num">CPU today</th>
            <th scope="col">Coordinator</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {vnodes.map((vnode, index) => (
            <VNodeRow key={vnode.vnodeId} vnode={vnode} now={now} index={index} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The work: what runs now, what it made, and the sandboxed work spaces (VNodes) it runs in. */
export function VNodesScreen({ node }: { node: NodeState }) {
  const now = Date.now();
  const active = node.vnodes.filter((v) => v.state !== 'released');
  const released = node.vnodes.filter((v) => v.state === 'released');
  return (
    <>
      <ScreenHeading lead="What this computer is working on, and what it made. Work runs in sandboxed work spaces within your limits and stops when you stop contributing.">
        Work
      </ScreenHeading>
      <div className="grid">
        <Card title="Now" className="card-wide">
          <CurrentWork work={node.work} />
        </Card>
        <Card title="Work spaces" className="card-wide">
          <p className="muted">
            A coordinator sets aside a work space (a “virtual node”) on this computer and sends it tasks, one at a time.
          </p>
          {active.length === 0 ? <p className="empty">No work space right now. One appears when a coordinator places work here.</p> : <VNodeTable vnodes={active} now={now} label="Work spaces, as a table" />}
          {released.length > 0 && (
            <details className="details-block">
              <summary>Recently ended ({released.length})</summary>
              <VNodeTable vnodes={released} now={now} label="Recently ended work spaces, as a table" />
            </details>
          )}
        </Card>
      </div>
    </>
  );
}
