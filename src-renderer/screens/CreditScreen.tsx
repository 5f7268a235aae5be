import { useCallback, useEffect, useId, useState } from 'react';
import type { ReceiptDetail, ReceiptSummary } from '../../src-shared/control/credit-view.js';
import type { NodeState } from '../../src-shared/control/state.js';
import { Card } from '../components/Card.js';
import { NodeName } from '../components/NodeName.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClockTime, formatCredit, formatDuration, formatNumber } from '../format.js';
import { useNode } from '../store/store-context.js';

const OUTCOME_LABEL: Record<ReceiptSummary['outcome'], string> = {
  validated: 'Validated',
  invalid: 'Not accepted: the result did not match',
  late: 'Not accepted: it came too late',
  unverified: 'Not accepted: it could not be checked',
};

function ReceiptInspector({ receiptId, onClose }: { receiptId: string; onClose: () => void }) {
  const send = useNode((s) => s.send);
  const [detail, setDetail] = useState<ReceiptDetail | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const headingId = useId();
  useEffect(() => {
    let live = true;
    void send({ command: 'get-receipt', receiptId }).then((result) => {
      if (!live) return;
      if (result.ok) setDetail(result.value);
      else setProblem(result.error.message);
    });
    return () => {
      live = false;
    };
  }, [send, receiptId]);
  const now = Date.now();
  return (
    <section className="inspector" aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId}>Receipt</h3>
        <button type="button" className="button-small" onClick={onClose}>
          Close<span className="sr-only"> the receipt</span>
        </button>
      </div>
      {problem !== null && <p className="error-text">This receipt could not be read: {problem}</p>}
      {detail === null && problem === null && <p className="muted">Loading…</p>}
      {detail !== null && (
        <>
          <p>
            {detail.verified ? (
              <span className="badge status-contributing">Signature checked</span>
            ) : (
              <span className="badge status-error">Does not verify{detail.problem ? `: ${detail.problem}` : ''}</span>
            )}
          </p>
          <dl className="facts">
            <div className="fact">
              <dt>Project</dt>
              <dd>{detail.summary.projectName}</dd>
            </div>
            <div className="fact">
              <dt>Outcome</dt>
              <dd>{OUTCOME_LABEL[detail.summary.outcome]}</dd>
            </div>
            <div className="fact">
              <dt>Credit</dt>
              <dd>{formatCredit(detail.summary.credit)}</dd>
            </div>
            <div className="fact">
              <dt>Processor time</dt>
              <dd>{formatDuration(detail.summary.cpuMs)}</dd>
            </div>
            <div className="fact">
              <dt>Validated</dt>
              <dd>{formatClockTime(detail.summary.validatedAt, now)}</dd>
            </div>
            <div className="fact">
              <dt>Signed by</dt>
              <dd>
                <NodeName id={detail.summary.orchestrator} what="coordinator id" />
              </dd>
            </div>
          </dl>
          <details className="details-block">
            <summary>Technical details (the signed receipt)</summary>
            <pre className="code-block" tabIndex={0}>{JSON.stringify(detail.receipt, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}

/** Credit from the signed receipts: totals, the counts, every receipt, each one inspectable. */
export function CreditScreen({ node }: { node: NodeState }) {
  const send = useNode((s) => s.send);
  const { credit } = node;
  const [receipts, setReceipts] = useState<readonly ReceiptSummary[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(
    async (before?: number) => {
      setLoading(true);
      const result = await send(before === undefined ? { command: 'list-receipts', limit: 50 } : { command: 'list-receipts', before, limit: 50 });
      setLoading(false);
      if (!result.ok) return;
      setReceipts((current) => (before === undefined ? result.value.receipts : [...current, ...result.value.receipts]));
      setNextBefore(result.value.nextBefore);
    },
    [send],
  );
  // The first page again whenever a receipt arrives.
  useEffect(() => {
    void load();
  }, [load, credit.receipts]);

  const now = Date.now();
  const projects = [...new Set(receipts.map((r) => r.projectName))];
  return (
    <>
      <ScreenHeading lead="Each result this computer returns is checked by the network. A coordinator then signs a receipt for it, and validated results earn credit.">Credit</ScreenHeading>
      <div className="grid">
        <Card title="In all">
          <p className="big-figure">
            {formatCredit(credit.total)} <span className="muted small">credits</span>
          </p>
          <ul className="count-list">
            <li>
              <strong>{formatNumber(credit.validated)}</strong> results validated
            </li>
            <li>
              <strong>{formatNumber(credit.pending)}</strong> waiting for validation
            </li>
            <li>
              <strong>{formatNumber(credit.rejected)}</strong> not accepted
            </li>
          </ul>
          {credit.gaps > 0 && <p className="muted small">{credit.gaps} receipts a coordinator sent never arrived; their results are not counted.</p>}
        </Card>
        <Card title="Projects">
          {projects.length === 0 ? (
            <p className="muted">No project has credited this computer yet. Projects appear here with their first receipt.</p>
          ) : (
            <ul className="plain-list">
              {projects.map((name) => (
                <li key={name}>{name}</li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Receipts" className="card-wide">
          {receipts.length === 0 ? (
            <p className="empty">{credit.pending > 0 ? `No receipt yet: ${credit.pending} results wait for validation.` : 'No receipts yet. They arrive once results are validated.'}</p>
          ) : (
            <div className="table-wrap" role="region" aria-label="Receipts, as a table" tabIndex={0}>
              <table className="table table-compact">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Project</th>
                    <th scope="col">Outcome</th>
                    <th scope="col" className="num">Credit</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {receipts.map((receipt) => (
                    <tr key={receipt.receiptId}>
                      <td className="cell-time">{formatClockTime(receipt.receivedAt, now)}</td>
                      <td>{receipt.projectName}</td>
                      <td>{receipt.outcome === 'validated' ? 'Validated' : 'Not accepted'}</td>
                      <td className="num">{formatCredit(receipt.credit)}</td>
                      <td>
                        <button type="button" className="button-small" aria-expanded={open === receipt.receiptId} onClick={() => setOpen(open === receipt.receiptId ? null : receipt.receiptId)}>
                          Inspect<span className="sr-only"> receipt {receipt.index}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {nextBefore !== null && (
            <button type="button" disabled={loading} onClick={() => void load(nextBefore)}>
              Show older receipts
            </button>
          )}
          {open !== null && <ReceiptInspector receiptId={open} onClose={() => setOpen(null)} />}
        </Card>
      </div>
    </>
  );
}
