// RFC 3339 timestamps as the artifacts carry them. Timestamps we receive are kept as the exact
// strings we received (they are signed); these helpers only read them or make new ones.

/** Second-precision UTC, the form the spec's examples use: `2026-03-23T18:10:03Z`. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Milliseconds since the epoch, or NaN. Callers pass strings the schema gate already accepted. */
export function parseTimestamp(text: string): number {
  return Date.parse(text);
}
