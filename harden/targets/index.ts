// The registry of fuzz targets: every decoder, gate and network surface `npm run harden -- fuzz`
// attacks. PNODE_HARDEN_TARGETS picks some by name ("msg:ping") or prefix ("artifact:*").
//
// Extension point for operator credentials (issue 8 §1): when trusted registration lands (its
// credential format and verifier, under src-shared/membership/), add its target to
// OPERATOR_CREDENTIAL_TARGETS in ./operator-credentials.ts; it is run and reported like the rest.
import type { FuzzTarget } from '../lib/fuzz.js';
import { PROTOCOL_TARGETS } from './protocol.js';
import { DECODER_TARGETS } from './decoders.js';
import { HTTP_TARGETS } from './http.js';
import { WS_TARGETS } from './ws.js';

export const FUZZ_TARGETS: readonly FuzzTarget[] = [...PROTOCOL_TARGETS, ...DECODER_TARGETS, ...HTTP_TARGETS, ...WS_TARGETS];

/** The targets named by `filter` (comma-separated names; a trailing "*" matches a prefix); all without one. */
export function selectTargets(targets: readonly FuzzTarget[], filter: string | undefined): FuzzTarget[] {
  if (filter === undefined || filter.trim() === '') return [...targets];
  const wanted = filter.split(',').map((w) => w.trim()).filter((w) => w !== '');
  const matches = (name: string, pattern: string): boolean => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
  const unknown = wanted.filter((w) => !targets.some((t) => matches(t.name, w)));
  if (unknown.length > 0) throw new Error(`no fuzz target matches ${unknown.join(', ')} (targets: ${targets.map((t) => t.name).join(', ')})`);
  return targets.filter((t) => wanted.some((w) => matches(t.name, w)));
}
