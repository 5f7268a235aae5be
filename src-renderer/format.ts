// Pure formatting for people: durations, sizes, relative times, short ids. Unknown values are
// always shown as the word "unknown", never as 0 or an empty cell.
export { shortId } from '../src-shared/protocol/did-key.js';

export const UNKNOWN = 'unknown';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h` (the two largest units, whole numbers). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return UNKNOWN;
  const total = Math.max(0, Math.floor(ms / SECOND));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return seconds > 0 && minutes < 10 ? `${minutes} min ${seconds} s` : `${minutes} min`;
  return `${seconds} s`;
}

/** `h:mm:ss` with days in front when needed: an uptime counter. */
export function formatUptime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / SECOND));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const clock = `${hours}:${String(Math.floor((total % 3_600) / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
  return days > 0 ? `${days} d ${clock}` : clock;
}

/** A quantity in mebibytes (the hardware summary's MB): `512 MB`, `15.6 GB`, `1.8 TB`; null → unknown. */
export function formatMegabytes(mb: number | null | undefined): string {
  if (mb === null || mb === undefined || !Number.isFinite(mb)) return UNKNOWN;
  if (mb < 1_024) return `${Math.round(mb)} MB`;
  const gb = mb / 1_024;
  if (gb < 1_024) return `${gb < 10 ? gb.toFixed(1) : Math.round(gb)} GB`;
  const tb = gb / 1_024;
  return `${tb < 10 ? tb.toFixed(1) : Math.round(tb)} TB`;
}

/** `just now`, `12 s ago`, `in 3 min`, relative to `now`; null → never. */
export function formatRelative(at: number | null, now: number, never = 'never'): string {
  if (at === null) return never;
  const delta = at - now;
  if (Math.abs(delta) < 2 * SECOND) return 'just now';
  const span = formatDuration(Math.abs(delta));
  return delta < 0 ? `${span} ago` : `in ${span}`;
}

/** Local clock time, with the date when not today: `14:05`, `Tue 14:05`, `3 Mar 2026, 14:05`. */
export function formatClockTime(at: number, now: number): string {
  const date = new Date(at);
  const time = date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) return time;
  if (Math.abs(at - now) < 6 * DAY) return `${date.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })}, ${time}`;
}

/** An RFC 3339 string as a local date and time; unparseable → the text as given. */
export function formatTimestampText(text: string | null): string {
  if (text === null) return UNKNOWN;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return text;
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** An event's RFC 3339 time as local time with seconds, with the date when not today. */
export function formatEventTime(text: string, now: number): string {
  const at = Date.parse(text);
  if (Number.isNaN(at)) return text;
  const date = new Date(at);
  const time = date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
  if (date.toDateString() === new Date(now).toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
}

export function formatMs(ms: number | null): string {
  return ms === null ? UNKNOWN : `${Math.round(ms)} ms`;
}

export function formatCount(value: number | null | undefined, unit?: string): string {
  if (value === null || value === undefined) return UNKNOWN;
  return unit ? `${value} ${unit}` : String(value);
}

export function formatMhz(mhz: number | null): string {
  if (mhz === null) return UNKNOWN;
  return mhz >= 1_000 ? `${(mhz / 1_000).toFixed(2)} GHz` : `${mhz} MHz`;
}

/** A text value that may be unknown. */
export function orUnknown(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? UNKNOWN : value;
}

/** Minutes from `now` until the next `hour`:00 local time that is at least tomorrow's. */
export function minutesUntilTomorrowAt(hour: number, now: number): number {
  const target = new Date(now);
  target.setDate(target.getDate() + 1);
  target.setHours(hour, 0, 0, 0);
  return Math.max(1, Math.ceil((target.getTime() - now) / MINUTE));
}

export { SECOND, MINUTE, HOUR, DAY };

/** Credit in micro-cobblestones as people read it: `0`, `0.42`, `12.5`, `1,204` (cobblestones). */
export function formatCredit(micro: number): string {
  if (!Number.isFinite(micro)) return UNKNOWN;
  const value = micro / 1_000_000;
  if (value === 0) return '0';
  const digits = value < 1 ? 3 : value < 100 ? 2 : 0;
  return value.toLocaleString(undefined, { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** A share in ‰ as a percentage: `37 %`, `0.4 %`. */
export function formatPermille(permille: number | null): string {
  if (permille === null || !Number.isFinite(permille)) return UNKNOWN;
  const percent = permille / 10;
  return `${percent < 1 && percent > 0 ? percent.toFixed(1) : Math.round(percent)} %`;
}

/** A whole number with grouping: `1,204`. */
export function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString() : UNKNOWN;
}
