// The orchestrator's trusted-registration options (issue 5 §5) and the modules they make:
//   --authority                       run the registration authority in this process (its key is
//                                     made on the first start); on by default when the data dir
//                                     has one (<data-dir>/authority/authority.json)
//   --authority-key z…                also trust credentials issued by this authority (repeatable)
//   --revocation-list <file>          a signed revocation-list.v1 of such an authority, re-read
//                                     when it changes (repeatable)
//   --credential-validity-minutes N   validity of the credentials this authority issues
// The network descriptor's registration-authority/key is trusted too. Module order:
// [OperatorTrust, OrchestratorModule(trust: its hook), AuthorityModule]; the authority starts after
// the orchestrator so it can add its /authority/… endpoints to the admin API.
import { resolve } from 'node:path';
import type { OptionSpec, ParsedArgs } from '../../cli/args.js';
import { UsageError } from '../../cli/args.js';
import { parseFingerprint } from '../../../src-shared/protocol/did-key.js';
import { DEFAULT_CREDENTIAL_VALIDITY_MS, MAX_CREDENTIAL_VALIDITY_MS } from '../../../src-shared/trust/trust-profile.js';
import { AuthorityModule } from './authority-module.js';
import { OperatorTrust } from './operator-trust.js';
import { readAuthorityRecord } from './authority-key.js';

const MINUTE_MS = 60_000;
export const MAX_CREDENTIAL_VALIDITY_MINUTES = Math.floor(MAX_CREDENTIAL_VALIDITY_MS / MINUTE_MS);

export const AUTHORITY_OPTIONS: readonly OptionSpec[] = [
  { name: 'authority', type: 'boolean', description: 'Run the registration authority here (trusted registration; its key is made on first start, and it is on by default once the data dir has one)' },
  { name: 'authority-key', type: 'list', valueName: 'z…', description: 'Also trust operator credentials issued by this registration authority key' },
  { name: 'revocation-list', type: 'list', valueName: 'file', description: "Another authority's signed revocation-list.v1 to check (re-read when it changes)" },
  {
    name: 'credential-validity-minutes',
    type: 'number',
    valueName: 'n',
    description: `Validity of the operator credentials this authority issues (default ${DEFAULT_CREDENTIAL_VALIDITY_MS / MINUTE_MS}, renewed on their own at 2/3)`,
  },
];

export interface OrchestratorTrustWiring {
  readonly trust: OperatorTrust;
  /** The authority module, when this orchestrator runs one. */
  readonly authority: AuthorityModule | null;
  /** Banner lines, once the modules run. */
  banner(): string[];
}

/** Reads the options (UsageError for bad ones) and makes the modules. */
export async function orchestratorTrustFrom(args: ParsedArgs, cwd: string, dataDir: string): Promise<OrchestratorTrustWiring> {
  const keys = (args.options['authority-key'] as string[] | undefined) ?? [];
  for (const key of keys) {
    try {
      parseFingerprint(key);
    } catch {
      throw new UsageError(`--authority-key ${JSON.stringify(key)} is not a did:key fingerprint (z…)`);
    }
  }
  const minutes = args.options['credential-validity-minutes'];
  if (minutes !== undefined && (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_CREDENTIAL_VALIDITY_MINUTES)) {
    throw new UsageError(`--credential-validity-minutes must be a whole number from 1 to ${MAX_CREDENTIAL_VALIDITY_MINUTES}`);
  }
  const run = args.options['authority'] === true || (await readAuthorityRecord(dataDir)) !== undefined;
  if (!run && minutes !== undefined) throw new UsageError('--credential-validity-minutes needs --authority');
  const authority = run ? new AuthorityModule(minutes !== undefined ? { credentialValidityMs: (minutes as number) * MINUTE_MS } : {}) : null;
  const files = ((args.options['revocation-list'] as string[] | undefined) ?? []).map((f) => resolve(cwd, f));
  const trust = new OperatorTrust({ authorityKeys: keys, revocationListFiles: files, ...(authority ? { authority } : {}) });
  return {
    trust,
    authority,
    banner: () => {
      const lines: string[] = [];
      if (authority?.key) lines.push(`authority  ${authority.key} (registration-authority/key; tokens: pnode authority issue-token --data-dir ${dataDir})`);
      const trusted = [...trust.trustedKeys()].filter((k) => k !== authority?.key);
      if (trusted.length > 0) lines.push(`trusting   ${trusted.join(', ')}`);
      return lines;
    },
  };
}
