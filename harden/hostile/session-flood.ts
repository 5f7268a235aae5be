// An attacker with many identities and one address: it opens real sessions (signed handshakes
// under fresh keys) as fast as `lanes` handshakes at a time allow, keeps every one it gets, and
// tries again when refused or dropped, until stopped. Bounded by `identities` in all.
import { randomBytes } from 'node:crypto';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import type { PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { openSession } from '../faults/healthy-peer.js';
import { sleep } from '../faults/wait.js';

/** After a refusal a lane waits this long before its next identity. */
export const SESSION_RETRY_MS = 100;

export interface SessionFloodFigures {
  readonly address: string;
  /** Identities used (each a fresh key). */
  readonly identities: number;
  readonly accepted: number;
  readonly refused: number;
  /** Most sessions held at once. */
  readonly peakHeld: number;
}

export class SessionFlood {
  private running = false;
  private readonly held = new Set<PeerConnection>();
  private lanesDone: Promise<void>[] = [];
  private used = 0;
  private accepted = 0;
  private refused = 0;
  private peakHeld = 0;

  constructor(
    readonly url: string,
    readonly nodeId: string,
    readonly address: string,
    readonly identities: number,
    readonly lanes = 8,
  ) {}

  start(): void {
    this.running = true;
    this.lanesDone = Array.from({ length: this.lanes }, () => this.lane());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanesDone);
    for (const connection of this.held) connection.terminate();
    this.held.clear();
  }

  figures(): SessionFloodFigures {
    return { address: this.address, identities: this.used, accepted: this.accepted, refused: this.refused, peakHeld: this.peakHeld };
  }

  private async lane(): Promise<void> {
    while (this.running && this.used < this.identities) {
      this.used++;
      try {
        const connection = await openSession(identityFromSeed(randomBytes(32), nativeCrypto), this.url, this.nodeId, this.address);
        this.accepted++;
        this.held.add(connection);
        this.peakHeld = Math.max(this.peakHeld, this.held.size);
        connection.once('close', () => this.held.delete(connection));
      } catch {
        this.refused++;
        await sleep(SESSION_RETRY_MS);
      }
    }
  }
}
