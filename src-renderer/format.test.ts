import { describe, expect, it } from 'vitest';
import { formatDuration, formatMegabytes, formatRelative, formatUptime, minutesUntilTomorrowAt, shortId, UNKNOWN } from './format.js';

describe('formatting for people', () => {
  it('writes durations with their two largest units', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2 d 4 h');
  });

  it('counts uptime like a clock', () => {
    expect(formatUptime(3_723_000)).toBe('1:02:03');
    expect(formatUptime(86_400_000 + 5_000)).toBe('1 d 0:00:05');
  });

  it('shows memory in MB, GB, TB and unknown as the word', () => {
    expect(formatMegabytes(512)).toBe('512 MB');
    expect(formatMegabytes(16_000)).toBe('16 GB');
    expect(formatMegabytes(4_096)).toBe('4.0 GB');
    expect(formatMegabytes(2_000_000)).toBe('1.9 TB');
    expect(formatMegabytes(null)).toBe(UNKNOWN);
  });

  it('says how long ago, or how long until', () => {
    expect(formatRelative(1_000, 1_500)).toBe('just now');
    expect(formatRelative(0, 12_000)).toBe('12 s ago');
    expect(formatRelative(180_000, 0)).toBe('in 3 min');
    expect(formatRelative(null, 0)).toBe('never');
  });

  it('shortens node ids', () => {
    expect(shortId('node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')).toBe('z6MkhaXg…2doK');
  });

  it('counts minutes until tomorrow morning', () => {
    const evening = new Date(2026, 2, 23, 22, 0, 0).getTime();
    expect(minutesUntilTomorrowAt(8, evening)).toBe(10 * 60);
    const earlyMorning = new Date(2026, 2, 23, 2, 0, 0).getTime();
    expect(minutesUntilTomorrowAt(8, earlyMorning)).toBe(30 * 60);
  });
});
