// The control contract, part 2: commands from a UI to its node, validated at the boundary.
// A bad command gets a typed error, never a crash (DESIGN.md §4; Signal Desktop's typed IPC with
// runtime checks is the model). Validators are hand-written so they also run under a strict CSP.
import { CORES_MAX, CORES_MIN, PERCENT_MAX, PERCENT_MIN } from './limits.js';
import type { ContributionLimits, InvitePreview, KnownNetworkView, NetworkDetailsView, NodeState, TrustedView } from './state.js';
import { INVITE_MAX_CHARS } from '../network/invite-limits.js';
import { MAX_RECEIPTS_PAGE, MAX_RECEIPT_ID_LENGTH, type ContributionHistoryDetail, type ReceiptDetail, type ReceiptPage } from './credit-view.js';
import { MAX_ACTIVITY_PAGE, type ActivityPage } from './activity-view.js';
import { MAX_TASK_ID_LENGTH, type ResultPicture } from './work-view.js';

export const MAX_SNOOZE_MINUTES = 7 * 24 * 60;
export const MAX_BLOCK_MINUTES = 365 * 24 * 60;
export const MAX_TOKEN_LENGTH = 4_096;
export const MAX_BACKUP_LENGTH = 64 * 1024;
export const MAX_PASSPHRASE_LENGTH = 1_024;
export const MIN_PASSPHRASE_LENGTH = 8;
export const MAX_URL_LENGTH = 2_048;
export const MAX_LABEL_LENGTH = 128;
export const MAX_MARKER_REF_LENGTH = 512;
/** A network id (`net:…`, the descriptor schema's bound) and a network key as text (hex or base64url). */
export const MAX_NETWORK_ID_LENGTH = 64;
export const MAX_PSK_TEXT_LENGTH = 256;

// --- the table ----------------------------------------------------------------------------------
// Every command is one row: its fields (each with its check) and the type of its result. The
// command union, the name list, the runtime validation and the per-command result type are all
// derived from it, so a command cannot be added in one place and forgotten in another.

type Fields = Record<string, unknown>;

/** One field of a command: how an untrusted value is checked. */
export interface Field<T> {
  readonly optional: boolean;
  check(fields: Fields, key: string): T;
}

/** A field that may be left out (absent or undefined). */
export interface OptionalField<T> extends Field<T> {
  readonly optional: true;
}

type FieldMap = Readonly<Record<string, Field<unknown>>>;
type ValueOf<F> = F extends Field<infer T> ? T : never;
type RequiredKeys<F extends FieldMap> = { [K in keyof F]: F[K] extends OptionalField<unknown> ? never : K }[keyof F];
type OptionalKeys<F extends FieldMap> = { [K in keyof F]: F[K] extends OptionalField<unknown> ? K : never }[keyof F];
type FieldValues<F extends FieldMap> = { readonly [K in RequiredKeys<F>]: ValueOf<F[K]> } & { readonly [K in OptionalKeys<F>]?: ValueOf<F[K]> };

declare const RESULT: unique symbol;

/** A row of the table: the fields, and (as a type only) what the command answers with. */
export interface CommandSpec<F extends FieldMap, R> {
  readonly fields: F;
  readonly [RESULT]?: R;
}

/** `answers<R>()({ field: check, … })`: a row whose result is R. */
function answers<R>() {
  return <F extends FieldMap>(fields: F): CommandSpec<F, R> => ({ fields });
}

/** What `import-identity` did with the backup. */
export type IdentityImportOutcome = 'installed' | 'unchanged' | 'repaired';

export const COMMANDS = {
  'get-state': answers<NodeState>()({}),
  join: answers<null>()({}),
  leave: answers<null>()({}),
  'set-contribution': answers<null>()({ enabled: boolField() }),
  snooze: answers<{ readonly snoozedUntil: number }>()({ minutes: intField(1, MAX_SNOOZE_MINUTES) }),
  resume: answers<null>()({}),
  'set-limits': answers<ContributionLimits>()({ limits: limitsField() }),
  enroll: answers<TrustedView>()({ token: textField(MAX_TOKEN_LENGTH) }),
  'renew-credential': answers<TrustedView>()({}),
  'rotate-operator-key': answers<TrustedView>()({}),
  'export-identity': answers<{ readonly backup: string; readonly nodeId: string }>()({ passphrase: textField(MAX_PASSPHRASE_LENGTH, MIN_PASSPHRASE_LENGTH) }),
  'import-identity': answers<{ readonly nodeId: string; readonly outcome: IdentityImportOutcome }>()({ backup: textField(MAX_BACKUP_LENGTH), passphrase: textField(MAX_PASSPHRASE_LENGTH, 1) }),
  'add-seed': answers<null>()({ nodeId: nodeIdField(), url: urlField(['wss:', 'ws:']), label: optional(textField(MAX_LABEL_LENGTH)) }),
  'remove-seed': answers<null>()({ nodeId: nodeIdField() }),
  'add-directory': answers<null>()({ url: urlField(['https:', 'http:']) }),
  'remove-directory': answers<null>()({ url: urlField(['https:', 'http:']) }),
  'block-peer': answers<null>()({ nodeId: nodeIdField(), minutes: optional(intField(1, MAX_BLOCK_MINUTES)) }),
  'unblock-peer': answers<null>()({ nodeId: nodeIdField() }),
  'set-allowlist-mode': answers<null>()({ enabled: boolField() }),
  'allowlist-add': answers<null>()({ nodeId: nodeIdField() }),
  'allowlist-remove': answers<null>()({ nodeId: nodeIdField() }),
  'set-launch-at-login': answers<{ readonly launchAtLogin: boolean | null }>()({ enabled: boolField() }),
  'send-signal-marker': answers<{ readonly messageId: string }>()({ to: nodeIdField(), markerRef: textField(MAX_MARKER_REF_LENGTH) }),
  // Credit and contribution history (issue 13 §5, issue 14 §1; credit-view.ts says how a UI uses them).
  'get-receipt': answers<ReceiptDetail>()({ receiptId: textField(MAX_RECEIPT_ID_LENGTH) }),
  'list-receipts': answers<ReceiptPage>()({ before: optional(intField(1, Number.MAX_SAFE_INTEGER)), limit: optional(intField(1, MAX_RECEIPTS_PAGE)) }),
  'get-history': answers<ContributionHistoryDetail>()({}),
  // The volunteer's log, result pictures and peer names (issue 14 §1–§2).
  'list-activity': answers<ActivityPage>()({ before: optional(intField(1, Number.MAX_SAFE_INTEGER)), limit: optional(intField(1, MAX_ACTIVITY_PAGE)) }),
  'get-result-picture': answers<ResultPicture>()({ taskId: textField(MAX_TASK_ID_LENGTH) }),
  'set-peer-label': answers<null>()({ nodeId: nodeIdField(), label: optional(textField(MAX_LABEL_LENGTH)) }),
  // Networks (issue 12). An invite is only read and shown until join-network: nothing changes before.
  /** `fromLink`: the system handed the invite over (a pnode:// link); a refusal is then kept in the state to be shown. */
  'open-invite': answers<InvitePreview>()({ invite: textField(INVITE_MAX_CHARS), fromLink: optional(boolField()) }),
  'dismiss-invite': answers<null>()({}),
  /** Exactly one of `invite` (a link or its text) and `networkId` (remembered, or the build's default); `psk` for a private network. */
  'join-network': answers<NetworkDetailsView>()({
    invite: optional(textField(INVITE_MAX_CHARS)),
    networkId: optional(textField(MAX_NETWORK_ID_LENGTH)),
    psk: optional(textField(MAX_PSK_TEXT_LENGTH)),
  }),
  'leave-network': answers<null>()({}),
  'forget-network': answers<null>()({ networkId: textField(MAX_NETWORK_ID_LENGTH) }),
  'list-networks': answers<readonly KnownNetworkView[]>()({}),
  'try-local-network': answers<NetworkDetailsView>()({}),
} as const;

type Table = typeof COMMANDS;
export type CommandName = keyof Table;

/** The command named N, as the node receives it after validation. */
export type CommandOf<N extends CommandName> = N extends CommandName ? { readonly command: N } & FieldValues<Table[N]['fields']> : never;

export type ControlCommand = CommandOf<CommandName>;

/** What command N answers with when it succeeds. */
export type ResultOf<N extends CommandName> = N extends CommandName ? (Table[N] extends CommandSpec<FieldMap, infer R> ? R : never) : never;

export const COMMAND_NAMES: readonly CommandName[] = Object.keys(COMMANDS) as CommandName[];

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

function required<T>(check: (fields: Fields, key: string) => T): Field<T> {
  return { optional: false, check };
}

function optional<T>(field: Field<T>): OptionalField<T> {
  return { optional: true, check: field.check };
}

function boolField(): Field<boolean> {
  return required(bool);
}

function intField(min: number, max: number): Field<number> {
  return required((fields, key) => int(fields, key, min, max));
}

function textField(maxLength: number, minLength = 1): Field<string> {
  return required((fields, key) => text(fields, key, maxLength, minLength));
}

function nodeIdField(): Field<string> {
  return required((fields, key) => {
    const value = text(fields, key, 128);
    if (!NODE_ID_PATTERN.test(value)) throw new CommandValidationError(`"${key}" must be a node:did:key:z… id`);
    return value;
  });
}

function urlField(schemes: readonly string[]): Field<string> {
  return required((fields, key) => {
    const value = text(fields, key, MAX_URL_LENGTH);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new CommandValidationError(`"${key}" must be a URL`);
    }
    if (!schemes.includes(parsed.protocol)) throw new CommandValidationError(`"${key}" must be a ${schemes.join(' or ')} URL`);
    return value;
  });
}

function limitsField(): Field<Partial<ContributionLimits>> {
  return required((outer, outerKey) => {
    const value = outer[outerKey];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CommandValidationError(`"${outerKey}" must be an object`);
    const fields = value as Fields;
    only(fields, ['cpuPercent', 'memoryPercent', 'maxCores', 'onlyWhenIdle', 'pauseOnBattery']);
    const out: { -readonly [K in keyof ContributionLimits]?: ContributionLimits[K] } = {};
    if ('cpuPercent' in fields) out.cpuPercent = int(fields, 'cpuPercent', PERCENT_MIN, PERCENT_MAX);
    if ('memoryPercent' in fields) out.memoryPercent = int(fields, 'memoryPercent', PERCENT_MIN, PERCENT_MAX);
    if ('maxCores' in fields) out.maxCores = int(fields, 'maxCores', CORES_MIN, CORES_MAX);
    if ('onlyWhenIdle' in fields) out.onlyWhenIdle = bool(fields, 'onlyWhenIdle');
    if ('pauseOnBattery' in fields) out.pauseOnBattery = bool(fields, 'pauseOnBattery');
    return out;
  });
}

/** Checks an untrusted value is a well-formed command; throws CommandValidationError saying why. */
export function parseCommand(value: unknown): ControlCommand {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CommandValidationError('a command must be an object');
  const fields = value as Fields;
  const name = fields['command'];
  if (typeof name !== 'string' || !Object.hasOwn(COMMANDS, name)) {
    throw new CommandValidationError(`unknown command ${JSON.stringify(name)}`);
  }
  const spec: CommandSpec<FieldMap, unknown> = COMMANDS[name as CommandName];
  only(fields, ['command', ...Object.keys(spec.fields)]);
  const parsed: Fields = { command: name };
  for (const [key, field] of Object.entries(spec.fields)) {
    if (field.optional && fields[key] === undefined) continue;
    parsed[key] = field.check(fields, key);
  }
  return parsed as ControlCommand;
}

/** How an owner (a node component, or the desktop shell) answers command N. */
export type CommandHandler<N extends CommandName> = (command: CommandOf<N>) => Promise<CommandResult<ResultOf<N>>> | CommandResult<ResultOf<N>>;

/** The commands one owner answers; each owner registers its own (control/node-control.ts). */
export type CommandHandlers = { readonly [N in CommandName]?: CommandHandler<N> };

