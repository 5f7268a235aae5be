import type { CpuUseView } from '../../src-shared/control/work-view.js';
import { formatPermille } from '../format.js';

/** The work's CPU use now against the volunteer's limit, both as shares of the whole computer. */
export function CpuMeter({ cpu, running }: { cpu: CpuUseView; running: boolean }) {
  const used = cpu.usedPermille ?? 0;
  const limit = Math.max(cpu.limitPermille, 1);
  return (
    <div className="cpu-meter">
      <div className="cpu-meter-head">
        <span className="cpu-meter-title">Processor use by shared work</span>
        <span className="cpu-meter-figure">
          {cpu.usedPermille === null ? (running ? 'measuring…' : 'none right now') : formatPermille(cpu.usedPermille)}
          <span className="muted"> of at most {formatPermille(cpu.limitPermille)}</span>
        </span>
      </div>
      <meter className="meter" min={0} max={1000} low={limit * 0.999} high={limit} optimum={0} value={Math.min(1000, used)} aria-label={`Processor use by shared work: ${formatPermille(cpu.usedPermille)} of this computer, your limit allows ${formatPermille(cpu.limitPermille)}`} />
      <div className="meter-scale" aria-hidden="true">
        <span className="meter-limit" style={{ left: `${Math.min(100, limit / 10)}%` }}>
          your limit
        </span>
      </div>
    </div>
  );
}
