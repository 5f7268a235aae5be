// Fetching a network descriptor over HTTP(S) (issue 12): a u1 invite names where it is published,
// a descriptor may name its publication URL, and directories serve the descriptors of the networks
// they serve (GET <directory>/network). Bounded in size and time; http:// only on loopback; what
// comes back is accepted only as a whole valid descriptor (and, for an invite, the very version
// its hash names).
import { ProtocolError, type Result, fail } from '../../../src-shared/protocol/errors.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { NETWORK_DESCRIPTOR_MAX_BYTES, type NetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import { acceptNetworkDescriptor, descriptorHash } from '../../../src-shared/network/invite.js';
import { bytesEqual } from '../../../src-shared/protocol/encoding/bytes.js';
import { directoryAgent, directoryRequest } from '../discovery/directory-request.js';
import { parseDirectoryUrl } from '../discovery/directory-url.js';
import type { ClientTrust } from '../transport/tls.js';

/** A descriptor fetch ends within this. */
export const DESCRIPTOR_FETCH_TIMEOUT_MS = 10_000;

export interface DescriptorFetchOptions {
  readonly crypto: CryptoProvider;
  readonly now: number;
  /** Trust for https (the system's roots, plus the network's own when renewing). */
  readonly trust?: ClientTrust;
  /** The hash a u1 invite names: anything else is refused. */
  readonly expectedHash?: Uint8Array;
  readonly timeoutMs?: number;
  /** More request headers (a private network's directory proof). */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function fetchNetworkDescriptor(url: string, options: DescriptorFetchOptions): Promise<Result<NetworkDescriptor>> {
  let secure: boolean;
  try {
    secure = parseDirectoryUrl(url, { insecureLoopback: true }).secure;
  } catch (error) {
    if (error instanceof ProtocolError) return { ok: false, error };
    throw error;
  }
  const agent = directoryAgent(secure, options.trust ?? {});
  try {
    const response = await directoryRequest(url, { method: 'GET', agent, timeoutMs: options.timeoutMs ?? DESCRIPTOR_FETCH_TIMEOUT_MS, maxBytes: NETWORK_DESCRIPTOR_MAX_BYTES, ...(options.headers ? { headers: options.headers } : {}) });
    if (response.status !== 200) return fail('E_TRANSPORT_UNAVAILABLE', `${url} answered HTTP ${response.status}, not the network descriptor`);
    if (response.body === undefined) return fail('E_PROTO_INVALID', `${url} did not answer with JSON`);
    const accepted = acceptNetworkDescriptor(response.body, { crypto: options.crypto, now: options.now });
    if (!accepted.ok) return accepted;
    if (options.expectedHash && !bytesEqual(descriptorHash(accepted.value, options.crypto), options.expectedHash)) {
      return fail('E_SIG_INVALID', `the descriptor at ${url} is not the one the invite names (its hash differs)`);
    }
    return accepted;
  } catch (error) {
    if (error instanceof ProtocolError) return { ok: false, error };
    return fail('E_TRANSPORT_UNAVAILABLE', `${url}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    agent.destroy();
  }
}
