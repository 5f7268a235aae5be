// What the volunteer pasted or opened, as the invite text the node reads: a pnode:// link, an
// https invite address or the text of a QR code go as they are; a descriptor file (JSON) becomes the
// d1 link that carries it. The node checks everything (signature, owner, validity).
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../../src-shared/protocol/encoding/bytes.js';
import { INVITE_MAX_CHARS, INVITE_PREFIX } from '../../src-shared/network/invite-limits.js';

export function inviteTextFrom(input: string): string {
  const text = input.trim();
  if (!text.startsWith('{')) return text;
  try {
    // Compact again: a descriptor file is usually indented.
    return `${INVITE_PREFIX}d1/${toBase64url(utf8(JSON.stringify(JSON.parse(text))))}`;
  } catch {
    return text;
  }
}

/** Why the text cannot be an invite, before asking the node; null when it may be one. */
export function inviteTextProblem(text: string): string | null {
  if (text === '') return 'Paste an invite link, or choose the network’s file.';
  if (text.length > INVITE_MAX_CHARS) return 'That is too long to be an invite.';
  if (!/^(pnode:\/\/|https:\/\/)/i.test(text)) return 'An invite starts with pnode://join/ (or is an https:// invite address).';
  return null;
}
