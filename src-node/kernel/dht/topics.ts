// Capability topics (issue 16 §2): a node announces itself on the DHT under one topic per
// capability it offers, and a lookup asks for the same topic.
//
//   open network:  topic = SHA-256("pnode-dht-topic.v1" 0x00 ‖ network id 0x00 ‖ capability)
//   psk network:   topic = HMAC-SHA256(psk, the same bytes)
//
// With the PSK in the hash, someone without the key cannot compute a topic, so cannot find who
// offers what (nor even tell which topics belong to the network). The 0x00 separators keep
// ("net:a", "b/c") and ("net:a\0b", "c") apart; names never contain 0x00 (checked).
import { createHash, createHmac } from 'node:crypto';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { DHT_MAX_CAPABILITY_LENGTH } from './dht-limits.js';

export const DHT_TOPIC_CONTEXT = 'pnode-dht-topic.v1';

/** A capability as a topic takes it: `core/messaging`, `vnode/wasi`, `vnode/cpu-4`, `gpu/cuda`, … */
const CAPABILITY = /^[a-z][a-z0-9-]*(?:\/[a-z0-9][a-z0-9.-]*)+$/;

export function isCapabilityName(text: string): boolean {
  return text.length <= DHT_MAX_CAPABILITY_LENGTH && CAPABILITY.test(text);
}

export interface TopicScope {
  readonly networkId: string;
  /** The network's pre-shared key (psk join policy). */
  readonly psk?: Uint8Array | undefined;
}

/** The 32-byte topic of `capability` in the network; E_PROTO_INVALID for a name that is not one. */
export function capabilityTopic(scope: TopicScope, capability: string): Buffer {
  if (!isCapabilityName(capability)) throw new ProtocolError('E_PROTO_INVALID', `not a capability name: ${JSON.stringify(capability.slice(0, 80))}`);
  if (scope.networkId.length === 0 || scope.networkId.includes('\0')) throw new ProtocolError('E_PROTO_INVALID', 'a topic needs a network id');
  const input = Buffer.concat([Buffer.from(DHT_TOPIC_CONTEXT), Buffer.of(0), Buffer.from(scope.networkId, 'utf8'), Buffer.of(0), Buffer.from(capability, 'utf8')]);
  return scope.psk ? createHmac('sha256', scope.psk).update(input).digest() : createHash('sha256').update(input).digest();
}
