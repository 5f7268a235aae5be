// `pnode network doctor` (issue 12 §3) against real services: TLS verified with the descriptor's
// trust roots, the handshake bound to the listed node id, and each failure named.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DAY_MS, buildNetworkDescriptor, type NetworkDescriptorInput } from '../../src-shared/network/network-descriptor.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { nodeIdFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { runNetworkDoctor } from '../../src-node/kernel/network/network-doctor.js';
import { orchestratorNode } from '../../src-node/recipes/orchestrator-node.js';
import { directoryNode } from '../../src-node/recipes/directory-node.js';
import { makeLoopbackCertificate } from '../support/tls.js';
import { makeTempDir } from '../support/temp-dir.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the network doctor', () => {
  it('checks TLS with the descriptor’s trust roots and each service’s identity, and says what fails', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const cert = await makeLoopbackCertificate();
    const common = { seeds: [], insecureLoopback: false, trustCa: [], keystore: 'file' as const, warn: () => undefined, version: 'test', tls: { certFile: cert.certFile, keyFile: cert.keyFile } };
    const orchestrator = await orchestratorNode({ ...common, dataDir: join(dir.path, 'o'), role: 'orchestrator', listen: ['wss://127.0.0.1:0/peer'], orchestrator: {} });
    cleanups.push(() => orchestrator.stop());
    const directory = await directoryNode({ ...common, dataDir: join(dir.path, 'd'), role: 'directory', listen: [], directory: { listen: 'https://127.0.0.1:0', tls: common.tls, fsync: false } });
    cleanups.push(() => directory.stop());
    const owner = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(5));
    const descriptorWith = (change: Partial<NetworkDescriptorInput>) => {
      const built = buildNetworkDescriptor(
        {
          id: 'net:tls-lab',
          name: 'TLS lab',
          orchestrators: [{ nodeId: orchestrator.runtime.identity.nodeId, url: orchestrator.runtime.listenUrls()[0]! }],
          directories: [directory.directory.url],
          joinPolicy: 'open',
          trustRoots: [{ pem: cert.cert, label: 'lab CA' }],
          createdAt: Date.now(),
          validForMs: DAY_MS,
          ...change,
        },
        owner,
        nativeCrypto,
      );
      if (!built.ok) throw built.error;
      return built.value;
    };

    const healthy = await runNetworkDoctor(descriptorWith({}), { crypto: nativeCrypto });
    expect(healthy.map((c) => [c.service, c.ok])).toEqual([
      ['orchestrator', true],
      ['directory', true],
    ]);
    expect(healthy[0]!.detail).toMatch(/TLS verified, handshake ok, it is node:did:key:/);
    expect(healthy[1]!.detail).toMatch(/TLS verified, healthy/);

    // Without the trust root the private CA's certificate is refused; a wrong node id fails the handshake.
    const stranger = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(6));
    const broken = await runNetworkDoctor(
      descriptorWith({ trustRoots: [], orchestrators: [{ nodeId: orchestrator.runtime.identity.nodeId, url: orchestrator.runtime.listenUrls()[0]! }, { nodeId: nodeIdFromPublicKey(stranger.publicKey), url: 'wss://127.0.0.1:1/peer' }] }),
      { crypto: nativeCrypto, timeoutMs: 5_000 },
    );
    expect(broken.every((c) => !c.ok)).toBe(true);
    expect(broken[0]!.detail).toMatch(/E_TRANSPORT_REJECTED .*TLS refused/);
    expect(broken[1]!.detail).toMatch(/E_TRANSPORT_UNAVAILABLE/);
    expect(broken[2]!.detail).toMatch(/E_TRANSPORT_REJECTED|TLS|certificate/i);

    const impostor = await runNetworkDoctor(descriptorWith({ orchestrators: [{ nodeId: nodeIdFromPublicKey(stranger.publicKey), url: orchestrator.runtime.listenUrls()[0]! }], directories: [] }), {
      crypto: nativeCrypto,
      timeoutMs: 5_000,
    });
    expect(impostor[0]).toMatchObject({ ok: false });
    expect(impostor[0]!.detail).toMatch(/^E_/);
  });
});
