// A small, typed command-line parser. Exit codes are the CLI's contract: 0 done, 1 the input was
// checked and rejected (a protocol code is printed), 2 bad usage or unreadable input.

export type OptionType = 'string' | 'boolean' | 'number' | 'list';

export interface OptionSpec {
  readonly name: string;
  readonly type: OptionType;
  readonly description: string;
  readonly valueName?: string;
  readonly required?: boolean;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
}

export type OptionValue = string | boolean | number | string[];

export interface ParsedArgs {
  readonly options: Readonly<Record<string, OptionValue | undefined>>;
  readonly positionals: readonly string[];
}

/** Bad usage: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The whole of standard input as text. */
  readonly readStdin: () => Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly when it fires. */
  readonly signal?: AbortSignal;
}

export interface CommandContext extends CommandIo {
  readonly args: ParsedArgs;
  /** Full command path, for messages: `pnode protocol verify`. */
  readonly commandPath: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  /** Printed by `--version` on the root command. */
  readonly version?: string;
  readonly options?: readonly OptionSpec[];
  readonly positionals?: readonly PositionalSpec[];
  readonly subcommands?: readonly CommandSpec[];
  readonly run?: (context: CommandContext) => Promise<number>;
}

export const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', description: 'Show this help' };

export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs & { help: boolean } {
  const known = new Map<string, OptionSpec>();
  for (const option of spec.options ?? []) known.set(option.name, option);
  const options: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  let help = false;
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (onlyPositionals || !token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      onlyPositionals = true;
      continue;
    }
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    if (!token.startsWith('--')) throw new UsageError(`unknown option ${token}`);
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const option = known.get(name);
    if (!option) throw new UsageError(`unknown option --${name}`);
    if (option.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (option.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got ${JSON.stringify(value)}`);
      options[name] = n;
    } else if (option.type === 'list') {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value);
      options[name] = list;
    } else {
      if (options[name] !== undefined) throw new UsageError(`--${name} given twice`);
      options[name] = value;
    }
  }
  if (!help) {
    for (const option of spec.options ?? []) {
      if (option.required && options[option.name] === undefined) throw new UsageError(`--${option.name} is required`);
    }
    const required = (spec.positionals ?? []).filter((p) => p.required).length;
    if (positionals.length < required) throw new UsageError(`missing <${spec.positionals![positionals.length]!.name}>`);
    if (positionals.length > (spec.positionals ?? []).length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[(spec.positionals ?? []).length])}`);
  }
  return { options, positionals, help };
}

export function helpText(spec: CommandSpec, commandPath: string): string {
  const lines: string[] = [];
  const positionals = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(' ');
  if (spec.subcommands?.length) lines.push(`Usage: ${commandPath} <command> [options]`);
  else lines.push(`Usage: ${commandPath}${spec.options?.length ? ' [options]' : ''}${positionals ? ` ${positionals}` : ''}`);
  lines.push('', spec.description ?? spec.summary);
  if (spec.subcommands?.length) {
    lines.push('', 'Commands:');
    const width = Math.max(...spec.subcommands.map((c) => c.name.length));
    for (const sub of spec.subcommands) lines.push(`  ${sub.name.padEnd(width)}  ${sub.summary}`);
    lines.push('', `Run "${commandPath} <command> --help" for a command's options.`);
  }
  if (spec.positionals?.length) {
    lines.push('', 'Arguments:');
    const width = Math.max(...spec.positionals.map((p) => p.name.length));
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(width)}  ${p.description}`);
  }
  const options = [...(spec.options ?? []), HELP_OPTION];
  lines.push('', 'Options:');
  const labels = options.map((o) => `--${o.name}${o.type === 'boolean' ? '' : ` <${o.valueName ?? o.type}>`}`);
  const width = Math.max(...labels.map((l) => l.length));
  options.forEach((o, i) => {
    const extra = o.required ? ' (required)' : o.type === 'list' ? ' (repeatable)' : '';
    lines.push(`  ${labels[i]!.padEnd(width)}  ${o.description}${extra}`);
  });
  return `${lines.join('\n')}\n`;
}
