// RFC 3339 timestamps as the artifacts carry them. Timestamps we receive are kept as the exact
// strings we received (they are signed); these helpers only read them or make new ones.

/** What the timestamps we make can tell apart: a second. */
export const TIMESTAMP_RESOLUTION_MS = 1_000;

/** Second-precision UTC, the form the spec's examples use: `2026-03-23T18:10:03Z`. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / TIMESTAMP_RESOLUTION_MS) * TIMESTAMP_RESOLUTION_MS).toISOString().replace('.000Z', 'Z');
}

/** Milliseconds since the epoch, or NaN. Callers pass strings the schema gate already accepted. */
export function parseTimestamp(text: string): number {
  return Date.parse(text);
}
