// What the control server sends, checked at the UI's edge: a message of an unknown shape is
// dropped rather than trusted (the server is ours, but the UI must not crash on a newer one).
import type { CommandResult } from '../../src-shared/control/commands.js';
import type { ControlServerMessage } from '../../src-shared/control/messages.js';
import { CONTROL_PROTOCOL } from '../../src-shared/control/state.js';

const FIXED_FIELDS: readonly string[] = ['protocol', 'version', 'startedAt'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isResult(value: unknown): value is CommandResult {
  if (!isObject(value) || typeof value['ok'] !== 'boolean') return false;
  if (value['ok']) return 'value' in value || Object.keys(value).length === 1;
  const error = value['error'];
  return isObject(error) && typeof error['code'] === 'string' && typeof error['message'] === 'string';
}

/** Parses one text frame; null when it is not a message this UI understands. */
export function parseServerMessage(data: unknown): ControlServerMessage | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  switch (value['type']) {
    case 'state': {
      const state = value['state'];
      return isObject(state) && state['protocol'] === CONTROL_PROTOCOL ? (value as unknown as ControlServerMessage) : null;
    }
    case 'patch': {
      const patch = value['patch'];
      if (!isObject(patch)) return null;
      // Only sections may be replaced; the snapshot's identity fields stay as the node first said.
      const sections = Object.fromEntries(Object.entries(patch).filter(([key]) => !FIXED_FIELDS.includes(key)));
      return { type: 'patch', patch: sections } as ControlServerMessage;
    }
    case 'trace': {
      const event = value['event'];
      return isObject(event) && typeof event['trace/id'] === 'string' && typeof event['event/type'] === 'string'
        ? (value as unknown as ControlServerMessage)
        : null;
    }
    case 'notification':
      return typeof value['title'] === 'string' && typeof value['body'] === 'string' ? (value as unknown as ControlServerMessage) : null;
    case 'response':
      return typeof value['id'] === 'number' && isResult(value['result']) ? (value as unknown as ControlServerMessage) : null;
    default:
      return null;
  }
}
