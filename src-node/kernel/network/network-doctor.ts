// `pnode network doctor` (issue 12 §3): from any machine, does every service a network descriptor
// names answer, does its TLS verify (with the system's roots plus the descriptor's trust roots),
// and is it who the descriptor says (a full signed handshake, the ack bound to the listed node-id)?
// A throwaway identity dials; nothing is stored. Every probe is bounded in time.
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { ED25519_SEED_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import type { NetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import { networkTrustRoots } from '../../../src-shared/network/network-descriptor.js';
import { isLocalNetwork } from '../../../src-shared/network/network-view.js';
import { rootCertificates } from 'node:tls';
import { identityFromSeed } from '../identity/node-identity.js';
import { HandshakeNonceCache } from '../session/nonce-cache.js';
import { startHandshake } from '../session/handshake-flow.js';
import { dial } from '../transport/ws-dialer.js';
import type { ClientTrust } from '../transport/tls.js';
import { directoryAgent, directoryRequest } from '../discovery/directory-request.js';
import { parseDirectoryUrl } from '../discovery/directory-url.js';
import { fetchNetworkDescriptor } from './descriptor-fetch.js';
import { type Clock, systemClock } from '../util/clock.js';

/** Each probe ends within this. */
export const DOCTOR_PROBE_TIMEOUT_MS = 10_000;

export interface DoctorCheck {
  readonly service: 'orchestrator' | 'seed' | 'directory' | 'descriptor';
  readonly target: string;
  readonly ok: boolean;
  /** Skipped checks (a private network's handshake without its key) are ok with a note. */
  readonly detail: string;
  readonly ms: number;
}

export interface DoctorOptions {
  readonly crypto: CryptoProvider;
  readonly clock?: Clock;
  /** The network's key, for a private network's handshakes. */
  readonly psk?: Uint8Array | undefined;
  readonly timeoutMs?: number;
}

function trustFor(descriptor: NetworkDescriptor): ClientTrust {
  const roots = networkTrustRoots(descriptor);
  return roots.length > 0 ? { ca: [...rootCertificates, ...roots] } : {};
}

function describe(error: unknown): string {
  return error instanceof ProtocolError ? `${error.code} ${error.detail}` : error instanceof Error ? error.message : String(error);
}

/** Dials `url` and completes a handshake whose ack must be signed by `nodeId`. */
async function probePeer(url: string, nodeId: string, descriptor: NetworkDescriptor, options: DoctorOptions): Promise<string> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DOCTOR_PROBE_TIMEOUT_MS;
  const socket = await dial(url, { policy: { insecureLoopback: isLocalNetwork(descriptor) }, trust: trustFor(descriptor), timeoutMs });
  const tls = url.startsWith('wss:') ? 'TLS verified, ' : '';
  if (descriptor['join/policy'] === 'psk' && !options.psk) {
    socket.terminate();
    return `${tls}answers; identity not checked: a private network's handshake needs its key (--psk-file)`;
  }
  const seed = options.crypto.randomBytes(ED25519_SEED_LENGTH);
  const identity = identityFromSeed(seed, options.crypto);
  seed.fill(0);
  const initiator = startHandshake({ crypto: options.crypto, identity, clock, nonces: new HandshakeNonceCache(), psk: options.psk }, { recipient: nodeId });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${url}: no handshake answer within ${timeoutMs} ms`)), timeoutMs);
      socket.once('message', (data: Buffer, isBinary: boolean) => {
        clearTimeout(timer);
        const answer = initiator.acceptAck(isBinary ? data : data.toString('utf8'));
        if (answer.ok) resolve(`${tls}handshake ok, it is ${answer.value.peerNodeId}`);
        else reject(answer.error);
      });
      socket.once('close', (code: number, reason: Buffer) => {
        clearTimeout(timer);
        reject(new ProtocolError('E_TRANSPORT_REJECTED', `${url}: closed the connection (${code}${reason.length ? ` ${reason.toString('utf8')}` : ''}) before answering the handshake`));
      });
      socket.send(initiator.helloText);
    });
  } finally {
    socket.terminate();
  }
}

async function probeDirectory(url: string, descriptor: NetworkDescriptor, options: DoctorOptions): Promise<string> {
  const parsed = parseDirectoryUrl(url, { insecureLoopback: isLocalNetwork(descriptor) });
  const agent = directoryAgent(parsed.secure, trustFor(descriptor));
  try {
    const response = await directoryRequest(`${parsed.base}/healthz`, { method: 'GET', agent, timeoutMs: options.timeoutMs ?? DOCTOR_PROBE_TIMEOUT_MS });
    const body = response.body as { status?: unknown; entries?: unknown } | undefined;
    if (response.status !== 200 || body?.status !== 'ok') throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${parsed.base}/healthz answered HTTP ${response.status}`);
    return `${parsed.secure ? 'TLS verified, ' : ''}healthy, ${typeof body.entries === 'number' ? body.entries : '?'} advertisements`;
  } finally {
    agent.destroy();
  }
}

async function timed(service: DoctorCheck['service'], target: string, probe: () => Promise<string>): Promise<DoctorCheck> {
  const started = Date.now();
  try {
    const detail = await probe();
    return { service, target, ok: true, detail, ms: Date.now() - started };
  } catch (error) {
    return { service, target, ok: false, detail: describe(error), ms: Date.now() - started };
  }
}

/** Probes every service of the network, all at once. */
export async function runNetworkDoctor(descriptor: NetworkDescriptor, options: DoctorOptions): Promise<DoctorCheck[]> {
  const clock = options.clock ?? systemClock;
  const probes: Promise<DoctorCheck>[] = [
    ...descriptor.orchestrators.map((o) => timed('orchestrator', `${o['node/id']} ${o['endpoint/url']}`, () => probePeer(o['endpoint/url'], o['node/id'], descriptor, options))),
    ...descriptor.seeds.map((s) => timed('seed', `${s['node/id']} ${s['endpoint/url']}`, () => probePeer(s['endpoint/url'], s['node/id'], descriptor, options))),
    ...descriptor.directories.map((d) => timed('directory', d, () => probeDirectory(d, descriptor, options))),
  ];
  const published = descriptor['descriptor/url'];
  if (published) {
    probes.push(
      timed('descriptor', published, async () => {
        const fetched = await fetchNetworkDescriptor(published, { crypto: options.crypto, now: clock.now(), trust: trustFor(descriptor), timeoutMs: options.timeoutMs ?? DOCTOR_PROBE_TIMEOUT_MS });
        if (!fetched.ok) throw fetched.error;
        const same = fetched.value['owner/node-id'] === descriptor['owner/node-id'] && fetched.value['network/id'] === descriptor['network/id'];
        if (!same) throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `${published} serves another network or owner`);
        return `serves a valid descriptor created ${fetched.value['created-at']}`;
      }),
    );
  }
  return Promise.all(probes);
}
