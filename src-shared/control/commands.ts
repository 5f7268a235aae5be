// The control contract, part 2: commands from a UI to its node, validated at the boundary.
// A bad command gets a typed error, never a crash (DESIGN.md §4; Signal Desktop's typed IPC with
// runtime checks is the model). Validators are hand-written so they also run under a strict CSP.
import { type ContributionLimits } from './state.js';

export const MAX_SNOOZE_MINUTES = 7 * 24 * 60;
export const MAX_BLOCK_MINUTES = 365 * 24 * 60;
export const MAX_TOKEN_LENGTH = 4_096;
export const MAX_BACKUP_LENGTH = 64 * 1024;
export const MAX_PASSPHRASE_LENGTH = 1_024;
export const MIN_PASSPHRASE_LENGTH = 8;
export const MAX_URL_LENGTH = 2_048;
export const MAX_LABEL_LENGTH = 128;
export const MAX_MARKER_REF_LENGTH = 512;

export type ControlCommand =
  | { readonly command: 'get-state' }
  | { readonly command: 'join' }
  | { readonly command: 'leave' }
  | { readonly command: 'set-contribution'; readonly enabled: boolean }
  | { readonly command: 'snooze'; readonly minutes: number }
  | { readonly command: 'resume' }
  | { readonly command: 'set-limits'; readonly limits: Partial<ContributionLimits> }
  | { readonly command: 'enroll'; readonly token: string }
  | { readonly command: 'renew-credential' }
  | { readonly command: 'rotate-operator-key' }
  | { readonly command: 'export-identity'; readonly passphrase: string }
  | { readonly command: 'import-identity'; readonly backup: string; readonly passphrase: string }
  | { readonly command: 'add-seed'; readonly nodeId: string; readonly url: string; readonly label?: string }
  | { readonly command: 'remove-seed'; readonly nodeId: string }
  | { readonly command: 'add-directory'; readonly url: string }
  | { readonly command: 'remove-directory'; readonly url: string }
  | { readonly command: 'block-peer'; readonly nodeId: string; readonly minutes?: number }
  | { readonly command: 'unblock-peer'; readonly nodeId: string }
  | { readonly command: 'set-allowlist-mode'; readonly enabled: boolean }
  | { readonly command: 'allowlist-add'; readonly nodeId: string }
  | { readonly command: 'allowlist-remove'; readonly nodeId: string }
  | { readonly command: 'set-launch-at-login'; readonly enabled: boolean }
  | { readonly command: 'send-signal-marker'; readonly to: string; readonly markerRef: string };

export type CommandName = ControlCommand['command'];

export const COMMAND_NAMES: readonly CommandName[] = [
  'get-state',
  'join',
  'leave',
  'set-contribution',
  'snooze',
  'resume',
  'set-limits',
  'enroll',
  'renew-credential',
  'rotate-operator-key',
  'export-identity',
  'import-identity',
  'add-seed',
  'remove-seed',
  'add-directory',
  'remove-directory',
  'block-peer',
  'unblock-peer',
  'set-allowlist-mode',
  'allowlist-add',
  'allowlist-remove',
  'set-launch-at-login',
  'send-signal-marker',
];

/** Why a command was refused: `invalid-command` for a malformed one, the rest from the node. */
export type CommandErrorCode =
  | 'invalid-command'
  | 'unknown-command'
  | 'not-available'
  | 'failed'
  | 'unauthorized'
  | 'busy';

export interface CommandError {
  readonly code: CommandErrorCode;
  readonly message: string;
  /** A protocol code (E_…) when the failure came from the network. */
  readonly protocolCode?: string;
}

export type CommandResult<T = unknown> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CommandError };

export class CommandValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandValidationError';
  }
}

type Fields = Record<string, unknown>;

const NODE_ID_PATTERN = /^node:did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;

function only(fields: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw new CommandValidationError(`unexpected field "${key}"`);
  }
}

function bool(fields: Fields, key: string): boolean {
  const value = fields[key];
  if (typeof value !== 'boolean') throw new CommandValidationError(`"${key}" must be true or false`);
  return value;
}

function int(fields: Fields, key: string, min: number, max: number): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CommandValidationError(`"${key}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function text(fields: Fields, key: string, maxLength: number, minLength = 1): string {
  const value = fields[key];
  if (typeof value !== 'string' || value.length < minLength || value.length > maxLength) {
    throw new CommandValidationError(`"${key}" must be text of ${minLength}–${maxLength} characters`);
  }
  return value;
}

function nodeId(fields: Fields, key: string): string {
  const value = text(fields, key, 128);
  if (!NODE_ID_PATTERN.test(value)) throw new CommandValidationError(`"${key}" must be a node:did:key:z… id`);
  return value;
}

function url(fields: Fields, key: string, schemes: readonly string[]): string {
  const value = text(fields, key, MAX_URL_LENGTH);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new CommandValidationError(`"${key}" must be a URL`);
  }
  if (!schemes.includes(parsed.protocol)) throw new CommandValidationError(`"${key}" must be a ${schemes.join(' or ')} URL`);
  return value;
}

function limits(value: unknown): Partial<ContributionLimits> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CommandValidationError('"limits" must be an object');
  const fields = value as Fields;
  only(fields, ['cpuPercent', 'memoryPercent', 'maxCores', 'onlyWhenIdle', 'pauseOnBattery']);
  const out: { -readonly [K in keyof ContributionLimits]?: ContributionLimits[K] } = {};
  if ('cpuPercent' in fields) out.cpuPercent = int(fields, 'cpuPercent', 1, 100);
  if ('memoryPercent' in fields) out.memoryPercent = int(fields, 'memoryPercent', 1, 100);
  if ('maxCores' in fields) out.maxCores = int(fields, 'maxCores', 1, 1024);
  if ('onlyWhenIdle' in fields) out.onlyWhenIdle = bool(fields, 'onlyWhenIdle');
  if ('pauseOnBattery' in fields) out.pauseOnBattery = bool(fields, 'pauseOnBattery');
  return out;
}

/** Checks an untrusted value is a well-formed command; throws CommandValidationError saying why. */
export function parseCommand(value: unknown): ControlCommand {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CommandValidationError('a command must be an object');
  const fields = value as Fields;
  const name = fields['command'];
  if (typeof name !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(name)) {
    throw new CommandValidationError(`unknown command ${JSON.stringify(name)}`);
  }
  const command = name as CommandName;
  switch (command) {
    case 'get-state':
    case 'join':
    case 'leave':
    case 'resume':
    case 'renew-credential':
    case 'rotate-operator-key':
      only(fields, ['command']);
      return { command };
    case 'set-contribution':
    case 'set-allowlist-mode':
    case 'set-launch-at-login':
      only(fields, ['command', 'enabled']);
      return { command, enabled: bool(fields, 'enabled') };
    case 'snooze':
      only(fields, ['command', 'minutes']);
      return { command, minutes: int(fields, 'minutes', 1, MAX_SNOOZE_MINUTES) };
    case 'set-limits':
      only(fields, ['command', 'limits']);
      return { command, limits: limits(fields['limits']) };
    case 'enroll':
      only(fields, ['command', 'token']);
      return { command, token: text(fields, 'token', MAX_TOKEN_LENGTH) };
    case 'export-identity':
      only(fields, ['command', 'passphrase']);
      return { command, passphrase: text(fields, 'passphrase', MAX_PASSPHRASE_LENGTH, MIN_PASSPHRASE_LENGTH) };
    case 'import-identity':
      only(fields, ['command', 'backup', 'passphrase']);
      return { command, backup: text(fields, 'backup', MAX_BACKUP_LENGTH), passphrase: text(fields, 'passphrase', MAX_PASSPHRASE_LENGTH, 1) };
    case 'add-seed': {
      only(fields, ['command', 'nodeId', 'url', 'label']);
      const label = fields['label'] === undefined ? undefined : text(fields, 'label', MAX_LABEL_LENGTH);
      return { command, nodeId: nodeId(fields, 'nodeId'), url: url(fields, 'url', ['wss:', 'ws:']), ...(label !== undefined ? { label } : {}) };
    }
    case 'remove-seed':
    case 'unblock-peer':
    case 'allowlist-add':
    case 'allowlist-remove':
      only(fields, ['command', 'nodeId']);
      return { command, nodeId: nodeId(fields, 'nodeId') };
    case 'add-directory':
    case 'remove-directory':
      only(fields, ['command', 'url']);
      return { command, url: url(fields, 'url', ['https:', 'http:']) };
    case 'block-peer': {
      only(fields, ['command', 'nodeId', 'minutes']);
      const minutes = fields['minutes'] === undefined ? undefined : int(fields, 'minutes', 1, MAX_BLOCK_MINUTES);
      return { command, nodeId: nodeId(fields, 'nodeId'), ...(minutes !== undefined ? { minutes } : {}) };
    }
    case 'send-signal-marker':
      only(fields, ['command', 'to', 'markerRef']);
      return { command, to: nodeId(fields, 'to'), markerRef: text(fields, 'markerRef', MAX_MARKER_REF_LENGTH) };
  }
}
