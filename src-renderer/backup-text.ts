// What `export-identity` answers with: the backup text itself, or an object holding it.
export function backupTextOf(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'object' && value !== null) {
    const backup = (value as Record<string, unknown>)['backup'];
    if (typeof backup === 'string' && backup !== '') return backup;
  }
  return null;
}

/** A file name for the backup of `nodeId`, safe on every OS. */
export function backupFileName(nodeId: string | null, date: Date): string {
  const tail = nodeId === null ? 'node' : nodeId.slice(-8).replace(/[^A-Za-z0-9]/g, '');
  return `pnode-identity-${tail}-${date.toISOString().slice(0, 10)}.json`;
}
