// The accept path every listener shares (issue 15 §2): each TCP connection takes a slot in a
// SlotTable keyed by its source (address-key.ts) the moment it is accepted, before a byte of it is
// read or a TLS handshake is spent on it; it gives the slot back when it closes, or when its owner
// promotes it to a session the owner accounts for itself (a peer session after its hello, a control
// client after its token). A connection refused by the table is destroyed at once; one evicted to
// make room (the longest idle of the heaviest source) likewise.
//
// A connection must also start its first request (all of its headers for HTTP, the upgrade request
// for a WebSocket) within `firstRequestTimeoutMs`: Node's own header timeout only starts at the
// first byte, so a connection that sends nothing at all was held until some later timeout or never.
//
// TLS servers hand the raw TCP socket to 'connection' and a TLSSocket to 'request'/'upgrade', so
// connections are looked up by their remote address and port, which name one live connection.
import type { Server, Socket } from 'node:net';
import { addressKey } from './address-key.js';
import { SlotTable, type SlotLimits } from './slot-table.js';

export interface GateFigures {
  /** Connections holding a slot now. */
  readonly held: number;
  /** Source keys holding at least one. */
  readonly sources: number;
  readonly admitted: number;
  readonly refusedPerAddress: number;
  readonly refusedTotal: number;
  readonly evicted: number;
  readonly promoted: number;
}

export interface GateHooks {
  /** A connection was refused or evicted (for traces and figures). */
  readonly onRefused?: (reason: 'address' | 'total' | 'evicted', remoteAddress: string | undefined) => void;
}

export interface GateOptions extends GateHooks {
  /** A connection whose first request has not arrived (see `started`) after this is destroyed. */
  readonly firstRequestTimeoutMs?: number;
  /**
   * SEAM (issue 15 §2, per-address accept rate): asked for every connection before it takes a
   * slot; false refuses it like a full address. Meant for the token bucket being unified into
   * kernel/util (another change in flight); no listener passes one yet, so today an address is
   * bounded by its slots, not by how fast it reconnects.
   */
  readonly acceptRate?: (addressKey: string, now: number) => boolean;
}

export interface ConnectionGate {
  /** The connection's first request has arrived: its first-request deadline no longer applies. */
  started(socket: Socket): void;
  /** A request is being served on this connection (not evictable) or is done (evictable again). Counted: nest freely. */
  setBusy(socket: Socket, busy: boolean): void;
  /** The connection became a session its owner accounts for: its slot here is free. */
  promote(socket: Socket): void;
  /** The connection still holds a slot here (not closed, not promoted). */
  holds(socket: Socket): boolean;
  figures(): GateFigures;
}

interface Entry {
  readonly socket: Socket;
  busy: number;
  deadline: NodeJS.Timeout | undefined;
}

function connectionName(socket: Socket): string | undefined {
  return socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}|${socket.remotePort ?? ''}`;
}

/** Gates every connection `server` accepts from now on. */
export function gateConnections(server: Server, limits: SlotLimits, hooks: GateOptions = {}): ConnectionGate {
  const table = new SlotTable<Entry>(limits);
  const byName = new Map<string, Entry>();
  let admitted = 0;
  let refusedPerAddress = 0;
  let refusedTotal = 0;
  let evicted = 0;
  let promoted = 0;

  const forget = (entry: Entry, name: string | undefined): void => {
    if (entry.deadline) clearTimeout(entry.deadline);
    entry.deadline = undefined;
    table.release(entry);
    if (name !== undefined && byName.get(name) === entry) byName.delete(name);
  };

  server.on('connection', (socket: Socket) => {
    const remoteAddress = socket.remoteAddress;
    const name = connectionName(socket);
    const entry: Entry = { socket, busy: 0, deadline: undefined };
    const key = addressKey(remoteAddress);
    if (hooks.acceptRate && !hooks.acceptRate(key, Date.now())) {
      refusedPerAddress++;
      hooks.onRefused?.('address', remoteAddress);
      socket.destroy();
      return;
    }
    const admission = table.admit(key, entry);
    if (!admission.admitted) {
      if (admission.reason === 'address') refusedPerAddress++;
      else refusedTotal++;
      hooks.onRefused?.(admission.reason, remoteAddress);
      socket.destroy();
      return;
    }
    admitted++;
    if (admission.evicted) {
      evicted++;
      const victim = admission.evicted.socket;
      hooks.onRefused?.('evicted', victim.remoteAddress);
      const victimName = connectionName(victim);
      if (victimName !== undefined && byName.get(victimName) === admission.evicted) byName.delete(victimName);
      victim.destroy();
    }
    if (name !== undefined) byName.set(name, entry);
    socket.once('close', () => forget(entry, name));
    if (hooks.firstRequestTimeoutMs !== undefined) {
      entry.deadline = setTimeout(() => socket.destroy(), hooks.firstRequestTimeoutMs);
      entry.deadline.unref();
    }
  });

  const lookup = (socket: Socket): Entry | undefined => {
    const name = connectionName(socket);
    return name === undefined ? undefined : byName.get(name);
  };

  return {
    started(socket) {
      const entry = lookup(socket);
      if (entry?.deadline) clearTimeout(entry.deadline);
      if (entry) entry.deadline = undefined;
    },
    setBusy(socket, busy) {
      const entry = lookup(socket);
      if (!entry) return;
      entry.busy = Math.max(0, entry.busy + (busy ? 1 : -1));
      table.setBusy(entry, entry.busy > 0);
    },
    promote(socket) {
      const entry = lookup(socket);
      if (!entry || !table.has(entry)) return;
      promoted++;
      forget(entry, connectionName(socket));
    },
    holds(socket) {
      const entry = lookup(socket);
      return entry !== undefined && table.has(entry);
    },
    figures() {
      return { held: table.size, sources: table.sources, admitted, refusedPerAddress, refusedTotal, evicted, promoted };
    },
  };
}
