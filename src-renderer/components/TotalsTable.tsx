import type { ContributionHistoryView } from '../../src-shared/control/credit-view.js';
import { formatCredit, formatDuration, formatNumber } from '../format.js';

/** Today / this week / all time: what this computer gave (from the node's persistent history). */
export function TotalsTable({ history }: { history: ContributionHistoryView }) {
  const rows = [
    ['Today', history.today],
    ['Last 7 days', history.last7Days],
    ['All time', history.allTime],
  ] as const;
  return (
    <div className="table-wrap totals" role="region" aria-label="What this computer gave" tabIndex={0}>
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Period</span>
            </th>
            <th scope="col" className="num">CPU time</th>
            <th scope="col" className="num">Tasks done</th>
            <th scope="col" className="num">Validated</th>
            <th scope="col" className="num">Credit</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, totals]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td className="num">{formatDuration(totals.cpuMs)}</td>
              <td className="num">{formatNumber(totals.tasksDone)}</td>
              <td className="num">{formatNumber(totals.tasksValidated)}</td>
              <td className="num">{formatCredit(totals.credit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
