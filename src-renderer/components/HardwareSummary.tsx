import type { HardwareView } from '../../src-shared/control/hardware-view.js';
import { formatCount, formatMegabytes, formatMhz, formatTimestampText, UNKNOWN } from '../format.js';

function os(hardware: HardwareView | null): string {
  if (hardware === null) return UNKNOWN;
  const name = [hardware['os/distro'], hardware['os/release']].filter((part) => part !== null).join(' ');
  const platform = [hardware['os/platform'], hardware['os/arch']].filter((part) => part !== null).join(', ');
  if (name === '' && platform === '') return UNKNOWN;
  return platform === '' ? name : name === '' ? platform : `${name} (${platform})`;
}

function gpus(hardware: HardwareView | null): string {
  const list = hardware?.gpus ?? null;
  if (list === null) return UNKNOWN;
  if (list.length === 0) return 'none detected';
  return list
    .map((gpu) => {
      const name = [gpu['gpu/vendor'], gpu['gpu/model']].filter((part) => part !== null).join(' ') || 'unknown GPU';
      return gpu['gpu/vram-mb'] === null ? name : `${name}, ${formatMegabytes(gpu['gpu/vram-mb'])}`;
    })
    .join('; ');
}

function processor(hardware: HardwareView | null): string {
  const brand = hardware?.['cpu/brand'] ?? null;
  const maker = hardware?.['cpu/manufacturer'] ?? null;
  if (brand === null) return maker === null ? UNKNOWN : `${maker} (model unknown)`;
  return maker === null || brand.toLowerCase().includes(maker.toLowerCase()) ? brand : `${maker} ${brand}`;
}

/** What the node detected about this machine; everything it could not tell reads "unknown". */
export function HardwareSummary({ hardware }: { hardware: HardwareView | null }) {
  const h = hardware;
  const disk =
    h?.['disk/free-mb'] == null && h?.['disk/total-mb'] == null
      ? UNKNOWN
      : `${formatMegabytes(h?.['disk/free-mb'])} free of ${formatMegabytes(h?.['disk/total-mb'])}`;
  const rows: Array<[string, string]> = [
    ['Processor', processor(h)],
    ['Cores', h === null || (h['cpu/physical-cores'] === null && h['cpu/logical-cores'] === null)
      ? UNKNOWN
      : `${formatCount(h['cpu/physical-cores'])} physical, ${formatCount(h['cpu/logical-cores'])} logical`],
    ['Clock speed', formatMhz(h?.['cpu/speed-max-mhz'] ?? h?.['cpu/speed-mhz'] ?? null)],
    ['Memory', formatMegabytes(h?.['memory/total-mb'])],
    ['Memory available', formatMegabytes(h?.['memory/available-mb'])],
    ['Operating system', os(h)],
    ['Graphics', gpus(h)],
    ['Disk (data folder)', disk],
  ];
  return (
    <div className="hardware">
      <dl className="facts">
        {rows.map(([term, value]) => (
          <div key={term} className="fact">
            <dt>{term}</dt>
            <dd className={value === UNKNOWN ? 'unknown' : undefined}>{value}</dd>
          </div>
        ))}
      </dl>
      <p className="muted small">
        {h === null
          ? 'The node has not reported its hardware yet.'
          : `Detected ${formatTimestampText(h['detected-at'])}.`}
        {h !== null && h.warnings.length > 0 &&
          ` Some probes did not answer (${h.warnings.map((w) => `${w.probe}: ${w.reason.replace('-', ' ')}`).join(', ')}), so those values are unknown.`}
      </p>
    </div>
  );
}
