// An OrchestratorTransport for unit tests: records what the orchestrator sends, and reaches only
// the PNodes a test marks as connected.
import type { OrchestratorTransport } from '../../src-node/services/orchestrator/orchestrator.js';
import type { SessionBody, SessionKind } from '../../src-shared/protocol/messages/kinds.js';

export interface Sent {
  readonly to: string;
  readonly kind: SessionKind;
  readonly body: Record<string, unknown>;
}

export interface RecordingTransport {
  readonly transport: OrchestratorTransport;
  /** Every message sent to a connected PNode, in order. */
  readonly sent: Sent[];
  /** The PNodes the transport reaches; add and delete to connect and disconnect them. */
  readonly connected: Set<string>;
}

export function recordingTransport(): RecordingTransport {
  const sent: Sent[] = [];
  const connected = new Set<string>();
  const transport: OrchestratorTransport = {
    send<K extends SessionKind>(to: string, kind: K, body: SessionBody<K>) {
      if (!connected.has(to)) return false;
      sent.push({ to, kind, body: body as unknown as Record<string, unknown> });
      return true;
    },
    isConnected: (id) => connected.has(id),
    sessions: () => connected.size,
  };
  return { transport, sent, connected };
}
