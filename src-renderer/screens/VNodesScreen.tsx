import type { NodeState, VNodeView } from '../../src-shared/control/state.js';
import { NodeIdText } from '../components/NodeIdText.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClockTime, formatDuration, formatMegabytes } from '../format.js';
import { VNODE_STATE_LABEL } from '../labels.js';

function VNodeRow({ vnode, now }: { vnode: VNodeView; now: number }) {
  return (
    <tr>
      <th scope="row">
        <code>{vnode.vnodeId}</code>
      </th>
      <td>
        <span className={`badge vnode-${vnode.state}`}>{VNODE_STATE_LABEL[vnode.state]}</span>
        {vnode.pausedReason !== null && <div className="muted small reason">{vnode.pausedReason}</div>}
      </td>
      <td className="num">{vnode.cores}</td>
      <td className="num">{formatMegabytes(vnode.memoryMb)}</td>
      <td className="num">{vnode.tasksDone}</td>
      <td className="num">{formatDuration(vnode.cpuMsToday)}</td>
      <td className="num">{formatDuration(vnode.cpuMsTotal)}</td>
      <td>
        <NodeIdText id={vnode.orchestrator} />
      </td>
      <td className="cell-time">{formatClockTime(vnode.since, now)}</td>
    </tr>
  );
}

/** The virtual nodes orchestrators placed on this computer. */
export function VNodesScreen({ node }: { node: NodeState }) {
  const now = Date.now();
  const { vnodes } = node;
  const tasks = vnodes.reduce((sum, v) => sum + v.tasksDone, 0);
  const today = vnodes.reduce((sum, v) => sum + v.cpuMsToday, 0);
  const total = vnodes.reduce((sum, v) => sum + v.cpuMsTotal, 0);
  return (
    <>
      <ScreenHeading lead="Sandboxed units of work an orchestrator placed here. Each runs within your limits and stops when you stop contributing.">
        Virtual nodes
      </ScreenHeading>
      {vnodes.length === 0 ? (
        <p className="empty">No virtual nodes yet. When an orchestrator places work on this computer, it appears here.</p>
      ) : (
        <>
          <p className="muted">
            {vnodes.length} {vnodes.length === 1 ? 'virtual node' : 'virtual nodes'}: {tasks} tasks done, {formatDuration(today)} of CPU time today,{' '}
            {formatDuration(total)} in total.
          </p>
          <div className="table-wrap" role="region" aria-label="Virtual nodes table" tabIndex={0}>
            <table className="table table-compact">
              <thead>
                <tr>
                  <th scope="col">VNode</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">Cores</th>
                  <th scope="col" className="num">Memory</th>
                  <th scope="col" className="num">Tasks done</th>
                  <th scope="col" className="num">CPU today</th>
                  <th scope="col" className="num">CPU total</th>
                  <th scope="col">Orchestrator</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {vnodes.map((vnode) => (
                  <VNodeRow key={vnode.vnodeId} vnode={vnode} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
