// Errors in plain words (issue 14 §2): what went wrong and what to do, with the node's own message
// and code kept for a "details" line. One place, so every screen says the same thing.
import type { CommandName } from '../src-shared/control/commands.js';

export interface PlainError {
  /** What happened, in a sentence. */
  readonly summary: string;
  /** What the volunteer can do about it (empty when nothing). */
  readonly fix: string;
  /** The node's message and code, for the details line. */
  readonly details: string;
}

export interface ErrorFacts {
  readonly command: CommandName;
  readonly code: string;
  readonly message: string;
  readonly protocolCode?: string | undefined;
}

function details(error: ErrorFacts): string {
  return [error.message, error.protocolCode ?? null, error.code !== 'failed' ? error.code : null].filter((part) => part !== null && part !== '').join(' · ');
}

/** The plain version of a failed command. */
export function plainError(error: ErrorFacts): PlainError {
  const code = error.protocolCode ?? '';
  const base = { details: details(error) };
  if (error.code === 'not-available' && /not connected|closed|did not answer/.test(error.message)) {
    return { ...base, summary: 'The node could not be reached.', fix: 'Check that it is still running; this page reconnects by itself.' };
  }
  if (error.code === 'busy') return { ...base, summary: 'The node is busy.', fix: 'Wait a moment and try again.' };
  switch (error.command) {
    case 'import-identity':
      if (/passphrase|decrypt|auth/i.test(error.message)) return { ...base, summary: 'The passphrase does not open this backup.', fix: 'Type the passphrase you chose when you exported it.' };
      if (code === 'E_PROTO_INVALID' || /schema|JSON|required|backup/i.test(error.message)) {
        return { ...base, summary: 'This is not a PNode identity backup, or it is damaged.', fix: 'Choose the file you saved with “Export identity” (it ends in .json), or paste its whole text.' };
      }
      return { ...base, summary: 'The identity could not be restored.', fix: 'Your current identity is unchanged. Try again, or use another backup.' };
    case 'export-identity':
      return { ...base, summary: 'The backup could not be made.', fix: 'Try again; the identity itself is unchanged.' };
    case 'enroll':
      if (code === 'E_PROTO_INVALID') return { ...base, summary: 'That enrollment token is not complete or has a typo.', fix: 'Copy the whole token again from your operator’s message (it starts with “pnode-enroll-”).' };
      if (code === 'E_TRANSPORT_UNAVAILABLE') return { ...base, summary: 'No orchestrator could be reached to enroll.', fix: 'Join the network and wait until it shows “Connected”, then try again.' };
      if (code.startsWith('E_SIG') || code === 'E_HS_UNKNOWN_REF' || code === 'E_TRANSPORT_REJECTED') {
        return { ...base, summary: 'The operator did not accept this token.', fix: 'It may have been used already or have expired. Ask your operator for a new one.' };
      }
      return { ...base, summary: 'Enrollment did not work.', fix: 'Nothing changed on this computer. Try again in a moment.' };
    case 'renew-credential':
    case 'rotate-operator-key':
      return { ...base, summary: 'The credential could not be renewed.', fix: 'It keeps working until it expires; the node tries again by itself.' };
    case 'join':
      return { ...base, summary: 'Joining did not work.', fix: 'Try again in a moment.' };
    case 'leave':
      return { ...base, summary: 'Leaving did not work.', fix: 'Try again in a moment.' };
    case 'add-seed':
    case 'add-directory':
      return { ...base, summary: 'That address could not be added.', fix: 'Check it for typos.' };
    case 'set-limits':
      return { ...base, summary: 'The limits could not be saved.', fix: 'Your previous limits still apply.' };
    default:
      return { ...base, summary: 'That did not work.', fix: 'Try again in a moment.' };
  }
}
