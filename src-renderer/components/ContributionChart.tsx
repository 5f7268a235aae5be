import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ContributionHistoryDetail } from '../../src-shared/control/credit-view.js';
import { describePoint, historyPoints, MEASURE_LABEL, measureText, measureValue, PERIOD_LABEL, type HistoryMeasure, type HistoryPeriod } from '../history-series.js';

const CHART_HEIGHT = 170;

/** Whether this page can draw on a canvas (a test DOM cannot: the table then stands alone). */
function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

function cssColor(element: Element, name: string, fallback: string): string {
  const value = getComputedStyle(element).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

function SegmentedChoice<T extends string>({ legend, value, options, onChange }: { legend: string; value: T; options: Record<T, string>; onChange: (next: T) => void }) {
  const name = useId();
  return (
    <fieldset className="segmented">
      <legend className="sr-only">{legend}</legend>
      {(Object.keys(options) as T[]).map((key) => (
        <label key={key} className={key === value ? 'segmented-on' : undefined}>
          <input type="radio" name={name} value={key} checked={key === value} onChange={() => onChange(key)} />
          {options[key]}
        </label>
      ))}
    </fieldset>
  );
}

/**
 * Contribution over time (uPlot bars): hour buckets for the last day, day buckets for the last 30.
 * Keyboard: the chart takes focus; ←/→ (Home/End) move through the buckets and each is read out.
 * The same numbers are in the table below it (the text alternative).
 */
export function ContributionChart({ detail }: { detail: ContributionHistoryDetail }) {
  const [period, setPeriod] = useState<HistoryPeriod>('day');
  const [measure, setMeasure] = useState<HistoryMeasure>('cpu');
  const points = useMemo(() => historyPoints(detail, period), [detail, period]);
  const [selected, setSelected] = useState<number | null>(null);
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawn, setDrawn] = useState(true);
  const readoutId = useId();

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    if (!canDraw()) {
      setDrawn(false);
      return;
    }
    const xs = points.map((p) => p.start / 1000);
    const ys = points.map((p) => measureValue(p.totals, measure));
    const accent = cssColor(element, '--chart-bar', '#1a5fd0');
    const text = cssColor(element, '--muted', '#5a6272');
    const grid = cssColor(element, '--border', '#d6dae2');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    let created: uPlot;
    try {
      created = new uPlot(
        {
          width: Math.max(200, element.clientWidth),
          height: CHART_HEIGHT,
          legend: { show: false },
          cursor: { y: false, points: { show: false } },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, measure === 'tasks' ? 4 : 1)] } },
          axes: [
            { ...axis, values: period === 'day' ? '{HH}:{mm}' : '{D} {MMM}' },
            { ...axis, size: 64, values: (_u, splits) => splits.map((v) => (measure === 'cpu' ? `${v} min` : String(v))) },
          ],
          series: [{}, { label: MEASURE_LABEL[measure], stroke: accent, fill: accent, width: 0, paths: uPlot.paths.bars!({ size: [0.7, 40] }), points: { show: false } }],
          hooks: {
            setCursor: [
              (u) => {
                const index = u.cursor.idx;
                if (index !== null && index !== undefined) setSelected(index);
              },
            ],
          },
        },
        [xs, ys],
        element,
      );
    } catch {
      // No canvas here (a test DOM): the table below says the same.
      setDrawn(false);
      return;
    }
    setDrawn(true);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: Math.max(200, element.clientWidth), height: CHART_HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
  }, [points, measure, period]);

  const move = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (points.length === 0) return;
    const last = points.length - 1;
    const current = selected ?? last;
    const next = event.key === 'ArrowLeft' ? Math.max(0, current - 1) : event.key === 'ArrowRight' ? Math.min(last, current + 1) : event.key === 'Home' ? 0 : event.key === 'End' ? last : null;
    if (next === null) return;
    event.preventDefault();
    setSelected(next);
    const u = plot.current;
    if (u) u.setCursor({ left: u.valToPos(points[next]!.start / 1000, 'x'), top: CHART_HEIGHT / 2 });
  };

  const point = selected !== null ? points[selected] : undefined;
  const total = points.reduce((sum, p) => sum + measureValue(p.totals, measure), 0);
  return (
    <div className="chart">
      <div className="chart-controls">
        <SegmentedChoice legend="Period" value={period} options={PERIOD_LABEL} onChange={(next) => { setPeriod(next); setSelected(null); }} />
        <SegmentedChoice legend="Measure" value={measure} options={MEASURE_LABEL} onChange={setMeasure} />
      </div>
      {drawn && (
        <div
          ref={holder}
          className="chart-plot"
          role="img"
          tabIndex={0}
          aria-label={`${MEASURE_LABEL[measure]} given, ${PERIOD_LABEL[period].toLowerCase()}, as bars. Use the left and right arrow keys to read each ${period === 'day' ? 'hour' : 'day'}.`}
          aria-describedby={readoutId}
          onKeyDown={move}
        />
      )}
      <p id={readoutId} className="chart-readout" aria-live="polite">
        {point ? describePoint(point) : total === 0 ? `Nothing given in the ${PERIOD_LABEL[period].toLowerCase()} yet.` : `Point at a bar, or focus the chart and use the arrow keys, to read it.`}
      </p>
      <details className="chart-table">
        <summary>Show as a table</summary>
        <div className="table-wrap" role="region" aria-label={`${PERIOD_LABEL[period]}, as a table`} tabIndex={0}>
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">{period === 'day' ? 'Hour' : 'Day'}</th>
                <th scope="col" className="num">CPU time</th>
                <th scope="col" className="num">Tasks done</th>
                <th scope="col" className="num">Validated</th>
                <th scope="col" className="num">Credit</th>
              </tr>
            </thead>
            <tbody>
              {[...points].reverse().map((p) => (
                <tr key={p.start}>
                  <th scope="row">{p.label}</th>
                  <td className="num">{measureText(p.totals, 'cpu')}</td>
                  <td className="num">{p.totals.tasksDone}</td>
                  <td className="num">{p.totals.tasksValidated}</td>
                  <td className="num">{measureText(p.totals, 'credit')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
