// Where the node learned of a peer (issue 15 §1): each remembered peer carries the sources that
// brought it — a directory, a gossiping peer, an inbound session, the configuration — each with
// its group, the neighbourhood it speaks from. The peer store charges a peer it has never reached
// to its first source (peer-store.ts: fairness, per-source bounds), forgets a source's peers when
// the source turns out hostile, and keeps this record in peers.json, so a restart does not turn a
// flood back into "remembered peers" of no particular origin.
//
// Keys and groups, by what the source is:
//   a seed directory        key `directory:<base url>`        group `directory:<host>`
//   a peer over gossip      key `peer:<node-id>`               group the address prefix it spoke from
//   an inbound session      key `inbound:<address key>`        group the address prefix
//   our own configuration   key `config`                       group `config`
//   from an older peers.json (no record): `unknown`
// An address prefix is an IPv4 /24 or an IPv6 /48 (transport/address-key.ts); a host name stands
// for itself (its last two labels: one registrant's names are one neighbourhood).
import { addressKey, prefixKey } from '../transport/address-key.js';

export interface SourceRef {
  /** Who: one directory, one peer, one inbound address. */
  readonly key: string;
  /** Its neighbourhood: many identities behind one address prefix are one group. */
  readonly group: string;
}

/** Sources remembered per peer (the first is charged for it); later ones are dropped. */
export const MAX_SOURCES_PER_PEER = 4;
/** Longest key or group kept (a directory URL is the longest; longer ones are cut). */
export const MAX_SOURCE_TEXT_LENGTH = 300;

export const CONFIG_SOURCE: SourceRef = { key: 'config', group: 'config' };
/** Peers remembered by a build that kept no provenance. */
export const UNKNOWN_SOURCE: SourceRef = { key: 'unknown', group: 'unknown' };

function clip(text: string): string {
  return text.length > MAX_SOURCE_TEXT_LENGTH ? text.slice(0, MAX_SOURCE_TEXT_LENGTH) : text;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The neighbourhood of a host: an address prefix for an IP literal, the last two labels of a name. */
export function hostGroup(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (IPV4.test(bare) || bare.includes(':')) return `net:${prefixKey(bare)}`;
  const labels = bare.toLowerCase().split('.').filter((l) => l.length > 0);
  return `name:${clip(labels.slice(-2).join('.'))}`;
}

/** The host of a URL, or of a bare address; undefined when there is none. */
function hostOf(address: string): string | undefined {
  if (address.includes('://')) {
    try {
      return new URL(address).hostname;
    } catch {
      return undefined;
    }
  }
  return address === '' ? undefined : address;
}

/** The group of whoever speaks from `address` (a remote IP, or the URL we dialed). */
export function addressGroup(address: string | undefined): string {
  const host = address === undefined ? undefined : hostOf(address);
  return host === undefined ? `net:${prefixKey(undefined)}` : hostGroup(host);
}

export function directorySource(baseUrl: string): SourceRef {
  const host = hostOf(baseUrl);
  return { key: clip(`directory:${baseUrl}`), group: clip(`directory:${host ?? baseUrl}`) };
}

/** A peer that gossiped to us over a session from (or to) `address`. */
export function peerSource(nodeId: string, address: string | undefined): SourceRef {
  return { key: clip(`peer:${nodeId}`), group: addressGroup(address) };
}

/** A peer that opened a session to us from `address`. */
export function inboundSource(address: string | undefined): SourceRef {
  return { key: clip(`inbound:${addressKey(address)}`), group: addressGroup(address) };
}

/** The key a peer is known under as a source (for dropping what it brought). */
export function peerSourceKey(nodeId: string): string {
  return clip(`peer:${nodeId}`);
}

/** `sources` with `ref` added at the end when it is not there yet, bounded. */
export function withSource(sources: readonly SourceRef[], ref: SourceRef): readonly SourceRef[] {
  if (sources.some((s) => s.key === ref.key)) return sources;
  if (sources.length >= MAX_SOURCES_PER_PEER) return sources;
  return [...sources, { key: clip(ref.key), group: clip(ref.group) }];
}

/** A stored source, checked; null when it is not one. */
export function decodeSource(value: unknown): SourceRef | null {
  if (typeof value !== 'object' || value === null) return null;
  const { key, group } = value as { key?: unknown; group?: unknown };
  if (typeof key !== 'string' || typeof group !== 'string' || key.length === 0 || group.length === 0) return null;
  return { key: clip(key), group: clip(group) };
}
