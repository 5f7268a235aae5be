import type { EndpointTransport } from '../../../src-shared/protocol/dht-endpoint.js';

/** node-advertisement.v1 as the node handles it after the schema gate. */
export interface AdvertisementEndpoint {
  readonly 'endpoint/url': string;
  readonly 'endpoint/transport': EndpointTransport;
  readonly 'endpoint/role': 'listener' | 'relay';
  readonly 'endpoint/priority': number;
}

export interface NodeAdvertisement {
  readonly 'schema/v': 1;
  readonly 'advertisement/id': string;
  readonly 'node/id': string;
  readonly 'sequence/no': number;
  readonly 'advertised-at': string;
  readonly 'expires-at': string;
  readonly 'key/alg': 'ed25519';
  readonly 'key/public': string;
  readonly 'federation/id'?: string;
  readonly endpoints: readonly AdvertisementEndpoint[];
  readonly 'transports/supported': readonly EndpointTransport[];
  readonly signature: { readonly alg: 'ed25519'; readonly value: string };
  readonly [extra: string]: unknown;
}

/** Endpoints in the sender's preference order (lower priority first), of the given transports (digest §c.2: wss; issue 16: dht too). */
export function dialableEndpoints(advertisement: NodeAdvertisement, transports: readonly EndpointTransport[] = ['wss']): string[] {
  return advertisement.endpoints
    .filter((e) => transports.includes(e['endpoint/transport']))
    .slice()
    .sort((a, b) => a['endpoint/priority'] - b['endpoint/priority'])
    .map((e) => e['endpoint/url']);
}
