// A network invite (issue 12 §1): the signed network descriptor in a shareable form. Two link
// forms, one for apps and one for the web:
//
//   pnode://join/d1/<base64url(descriptor JSON)>              the descriptor itself
//   pnode://join/u1/<base64url(https URL)>.<base64url(hash)>  where to fetch it, and its hash
//   https://<host>/<path>#join/d1/…  or  #join/u1/…           the same, on a page an owner hosts
//
// The hash is SHA-256 of the descriptor's deterministic CBOR (signature included), so it pins one
// signed version whatever JSON formatting the server uses. Parsing is strict and bounded
// (INVITE_MAX_CHARS); it only reads the link. Whether the descriptor is valid — signature, owner,
// validity window, rules — is `acceptNetworkDescriptor`'s call, made by the node before anything
// changes.
import { ProtocolError, type Result, attempt, fail, ok } from '../protocol/errors.js';
import { fromBase64url, toBase64url } from '../protocol/encoding/base64url.js';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import { toHex } from '../protocol/encoding/hex.js';
import { fromUtf8, utf8 } from '../protocol/encoding/bytes.js';
import type { CryptoProvider } from '../protocol/crypto/provider.js';
import { NETWORK_DESCRIPTOR_MAX_BYTES, type NetworkDescriptor, verifyNetworkDescriptor, type VerifyDescriptorOptions } from './network-descriptor.js';

// The invite's text form and its bounds live apart (invite-limits.ts): the UI needs them without
// this module's decoders and schema gates (cbor-x and ajv probe eval, which the UI's CSP refuses).
export { INVITE_FRAGMENT_PREFIX, INVITE_MAX_CHARS, INVITE_MAX_URL_CHARS, INVITE_PREFIX, INVITE_SCHEME } from './invite-limits.js';
import { INVITE_FRAGMENT_PREFIX, INVITE_MAX_CHARS, INVITE_MAX_URL_CHARS, INVITE_PREFIX } from './invite-limits.js';
/** A descriptor dated this far ahead of our clock is refused as not yet valid (home clocks drift). */
export const NETWORK_DESCRIPTOR_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Bytes of a SHA-256 descriptor hash. */
export const DESCRIPTOR_HASH_LENGTH = 32;

export type InviteForm = 'd1' | 'u1';

/** What an invite carries, before anything is checked beyond its shape. */
export type ParsedInvite =
  | { readonly kind: 'descriptor'; readonly descriptor: unknown }
  | { readonly kind: 'reference'; readonly url: string; readonly hash: Uint8Array };

function invalid(detail: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `invite: ${detail}`);
}

/** SHA-256 of the descriptor's deterministic CBOR: the same bytes whatever the JSON looked like. */
export function descriptorHash(descriptor: NetworkDescriptor | Readonly<Record<string, unknown>>, crypto: Pick<CryptoProvider, 'sha256'>): Uint8Array {
  return crypto.sha256(encodeDeterministic(descriptor));
}

export function descriptorHashHex(descriptor: NetworkDescriptor, crypto: Pick<CryptoProvider, 'sha256'>): string {
  return toHex(descriptorHash(descriptor, crypto));
}

/** `pnode://join/d1/…`: the descriptor itself (compact JSON). */
export function inviteLink(descriptor: NetworkDescriptor): string {
  return `${INVITE_PREFIX}d1/${toBase64url(utf8(JSON.stringify(descriptor)))}`;
}

/** `pnode://join/u1/…`: where the descriptor is published and the hash of the version meant. */
export function referenceInviteLink(url: string, descriptor: NetworkDescriptor, crypto: Pick<CryptoProvider, 'sha256'>): string {
  return `${INVITE_PREFIX}u1/${toBase64url(utf8(url))}.${toBase64url(descriptorHash(descriptor, crypto))}`;
}

/** The https page form of a pnode:// link: `<page>#join/…` (the fragment never reaches the server). */
export function httpsInviteLink(pageUrl: string, link: string): string {
  if (!link.startsWith(INVITE_PREFIX)) throw invalid('not a pnode://join/ link');
  const page = new URL(pageUrl);
  if (page.protocol !== 'https:') throw invalid(`an invite page is https://, not ${page.protocol}//`);
  const bare = page.toString().split('#', 1)[0]!;
  return `${bare}#${INVITE_FRAGMENT_PREFIX}${link.slice(INVITE_PREFIX.length)}`;
}

/** The `<form>/<payload>` part of an invite in any accepted form. */
function invitePath(text: string): string {
  if (text.length > INVITE_MAX_CHARS) throw invalid(`longer than ${INVITE_MAX_CHARS} characters`);
  const trimmed = text.trim();
  if (/^pnode:/i.test(trimmed)) {
    if (!trimmed.toLowerCase().startsWith(INVITE_PREFIX)) throw invalid('a pnode: link must start with pnode://join/');
    return trimmed.slice(INVITE_PREFIX.length);
  }
  if (/^https:\/\//i.test(trimmed)) {
    const hash = trimmed.indexOf('#');
    const fragment = hash < 0 ? '' : trimmed.slice(hash + 1);
    if (!fragment.startsWith(INVITE_FRAGMENT_PREFIX)) throw invalid('this https:// address carries no invite (#join/… is missing)');
    return fragment.slice(INVITE_FRAGMENT_PREFIX.length);
  }
  throw invalid('not an invite: expected a pnode://join/ link or an https:// invite page address');
}

function decodePart(text: string, what: string): Uint8Array {
  try {
    return fromBase64url(text);
  } catch {
    throw invalid(`${what} is not base64url`);
  }
}

/** Reads an invite's shape: which form, and what it carries. Checks nothing a signature proves. */
export function parseInvite(text: string): Result<ParsedInvite> {
  if (typeof text !== 'string') return fail('E_PROTO_INVALID', 'invite: not text');
  return attempt(() => {
    const path = invitePath(text);
    const slash = path.indexOf('/');
    if (slash < 0) throw invalid('the link names no form (d1 or u1)');
    const form = path.slice(0, slash);
    const payload = path.slice(slash + 1);
    if (payload === '') throw invalid('the link is cut off: it carries nothing after the form');
    if (form === 'd1') {
      const bytes = decodePart(payload, 'the descriptor');
      if (bytes.length > NETWORK_DESCRIPTOR_MAX_BYTES) throw invalid(`the descriptor is larger than ${NETWORK_DESCRIPTOR_MAX_BYTES} bytes`);
      let json: string;
      try {
        json = fromUtf8(bytes);
      } catch {
        throw invalid('the descriptor is not UTF-8 text (the link was probably cut or altered)');
      }
      let descriptor: unknown;
      try {
        descriptor = JSON.parse(json) as unknown;
      } catch {
        throw invalid('the descriptor is not JSON (the link was probably cut or altered)');
      }
      return { kind: 'descriptor', descriptor } as const;
    }
    if (form === 'u1') {
      const dot = payload.indexOf('.');
      if (dot < 0 || payload.indexOf('.', dot + 1) >= 0) throw invalid('a u1 link is <url>.<hash>');
      const urlBytes = decodePart(payload.slice(0, dot), 'the descriptor URL');
      const hash = decodePart(payload.slice(dot + 1), 'the descriptor hash');
      if (hash.length !== DESCRIPTOR_HASH_LENGTH) throw invalid(`the descriptor hash is ${hash.length} bytes, not ${DESCRIPTOR_HASH_LENGTH}`);
      let url: string;
      try {
        url = fromUtf8(urlBytes);
      } catch {
        throw invalid('the descriptor URL is not UTF-8 text');
      }
      if (url.length > INVITE_MAX_URL_CHARS) throw invalid(`the descriptor URL is longer than ${INVITE_MAX_URL_CHARS} characters`);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw invalid('the descriptor URL is not a URL');
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid(`the descriptor URL must be https://, not ${parsed.protocol}//`);
      if (parsed.username || parsed.password) throw invalid('the descriptor URL must carry no credentials');
      return { kind: 'reference', url, hash } as const;
    }
    throw invalid(`unknown form ${JSON.stringify(form.slice(0, 16))} (this app reads d1 and u1; a newer app may be needed)`);
  });
}

/**
 * The checks a node makes before it shows or uses a descriptor from anywhere (an invite, a file, a
 * renewal): `verifyNetworkDescriptor` (schema, owner's signature, expiry: E_ADV_EXPIRED, rules),
 * then "not dated in the future" (E_ADV_EXPIRED, not valid yet) beyond
 * NETWORK_DESCRIPTOR_MAX_CLOCK_SKEW_MS.
 */
export function acceptNetworkDescriptor(value: unknown, options: VerifyDescriptorOptions): Result<NetworkDescriptor> {
  const verified = verifyNetworkDescriptor(value, options);
  if (!verified.ok) return verified;
  const now = options.now ?? Date.now();
  const created = Date.parse(verified.value['created-at']);
  if (created > now + NETWORK_DESCRIPTOR_MAX_CLOCK_SKEW_MS) {
    return fail('E_ADV_EXPIRED', `network-descriptor.v1 is not valid yet: created-at ${verified.value['created-at']} is in the future (check this computer's clock)`);
  }
  return ok(verified.value);
}

/** True when `candidate` may replace `current`: same network, same owner, signed later. */
export function isNewerVersion(current: NetworkDescriptor, candidate: NetworkDescriptor): boolean {
  return (
    candidate['network/id'] === current['network/id'] &&
    candidate['owner/node-id'] === current['owner/node-id'] &&
    Date.parse(candidate['created-at']) > Date.parse(current['created-at'])
  );
}
