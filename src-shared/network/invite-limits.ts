// The text form of an invite and its bounds (issue 12 §1), with no decoder behind them: the renderer
// checks a pasted invite's shape and length with these, and the node (network/invite.ts) reads it.

export const INVITE_SCHEME = 'pnode:';
export const INVITE_PREFIX = 'pnode://join/';
/** The fragment an https invite page carries: `#join/<form>/<payload>`. */
export const INVITE_FRAGMENT_PREFIX = 'join/';
/** The longest invite text read (a link, an https page address, or the text of a QR code). */
export const INVITE_MAX_CHARS = 16 * 1024;
/** The longest descriptor URL a by-reference invite may name. */
export const INVITE_MAX_URL_CHARS = 2_048;
