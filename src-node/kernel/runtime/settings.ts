// The volunteer's choices, kept across restarts in <dataDir>/settings.json (atomic writes). A
// corrupt file is set aside (never lost) and defaults are used.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type ContributionLimits, type SeedView } from '../../../src-shared/control/state.js';
import { isContributionLimits } from '../../../src-shared/control/limits.js';
import { CorruptFileError, type FileWriter, jsonText, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';

export const SETTINGS_FILE = 'settings.json';
export const SETTINGS_SCHEMA = 'pnode-settings.v1';
export const MAX_SETTINGS_SEEDS = 64;
export const MAX_SETTINGS_DIRECTORIES = 16;
export const MAX_SETTINGS_ALLOWLIST = 10_000;
/** Longest text a settings field keeps (node-ids, URLs, labels are far shorter); longer entries are dropped. */
export const MAX_SETTINGS_TEXT_CHARS = 2_048;

export interface Settings {
  readonly joined: boolean;
  readonly contributionEnabled: boolean;
  readonly snoozedUntil: number | null;
  readonly limits: ContributionLimits;
  /** Seeds added by the volunteer (command-line seeds are not stored). */
  readonly seeds: readonly SeedView[];
  readonly directories: readonly string[];
  readonly allowlistMode: boolean;
  readonly allowlist: readonly string[];
}

export const DEFAULT_SETTINGS: Settings = {
  joined: false,
  contributionEnabled: true,
  snoozedUntil: null,
  limits: DEFAULT_LIMITS,
  seeds: [],
  directories: [],
  allowlistMode: false,
  allowlist: [],
};

/** Reads a stored settings object field by field; a field that does not fit falls back to its default. */
export function decodeSettings(raw: unknown): Settings {
  const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_SETTINGS_TEXT_CHARS;
  const strings = (x: unknown, max: number): string[] => (Array.isArray(x) ? x.filter(text).slice(0, max) : []);
  const seeds = Array.isArray(v['seeds'])
    ? (v['seeds'] as unknown[])
        .filter((s): s is SeedView => typeof s === 'object' && s !== null && text((s as SeedView).nodeId) && text((s as SeedView).url))
        .slice(0, MAX_SETTINGS_SEEDS)
        .map((s) => ({ nodeId: s.nodeId, url: s.url, ...(text(s.label) ? { label: s.label } : {}) }))
    : [];
  return {
    joined: typeof v['joined'] === 'boolean' ? v['joined'] : DEFAULT_SETTINGS.joined,
    contributionEnabled: typeof v['contributionEnabled'] === 'boolean' ? v['contributionEnabled'] : DEFAULT_SETTINGS.contributionEnabled,
    snoozedUntil: typeof v['snoozedUntil'] === 'number' && Number.isFinite(v['snoozedUntil']) ? v['snoozedUntil'] : null,
    limits: isContributionLimits(v['limits']) ? v['limits'] : DEFAULT_SETTINGS.limits,
    seeds,
    directories: strings(v['directories'], MAX_SETTINGS_DIRECTORIES),
    allowlistMode: typeof v['allowlistMode'] === 'boolean' ? v['allowlistMode'] : false,
    allowlist: strings(v['allowlist'], MAX_SETTINGS_ALLOWLIST),
  };
}

/** Told of every change, with the settings before it (the owners of a setting react here, not on UI events). */
export type SettingsListener = (next: Settings, previous: Settings) => void;

export interface SettingsStoreOptions {
  /** Default writeFileAtomic (tests put a full disk here). */
  readonly write?: FileWriter;
}

export class SettingsStore {
  private current: Settings = DEFAULT_SETTINGS;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly write: FileWriter;
  private readonly listeners = new Set<SettingsListener>();
  readonly path: string;

  constructor(dataDir: string, options: SettingsStoreOptions = {}) {
    this.path = join(dataDir, SETTINGS_FILE);
    this.write = options.write ?? writeFileAtomic;
  }

  /** Loads the file; a corrupt one is renamed aside and reported through `onCorrupt`. */
  async load(defaults: Partial<Settings> = {}, onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<Settings> {
    let raw: unknown;
    try {
      raw = await readJsonFile(this.path);
    } catch (error) {
      if (!(error instanceof CorruptFileError)) throw error;
      const aside = `${this.path}.corrupt-${Date.now()}`;
      await rename(this.path, aside);
      onCorrupt?.(error, aside);
      raw = undefined;
    }
    this.current = raw === undefined ? { ...DEFAULT_SETTINGS, ...defaults } : decodeSettings(raw);
    return this.current;
  }

  get(): Settings {
    return this.current;
  }

  /** Calls `listener` after every change that was written; returns the function that stops it. */
  subscribe(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(next: Settings, previous: Settings): void {
    if (next === previous) return;
    for (const listener of [...this.listeners]) listener(next, previous);
  }

  /**
   * Applies a change, transactionally: it is written first, and only once the write succeeded does
   * get() show it (and the listeners hear of it). A change that fails to be written (a full disk)
   * rejects and leaves no trace, in memory or on disk. Changes are applied one at a time, each to
   * the settings the previous ones left, so a failed change is not carried into the next.
   */
  update(change: (settings: Settings) => Settings): Promise<Settings> {
    const run = this.writing.then(async () => {
      const previous = this.current;
      const next = change(previous);
      await this.write(this.path, jsonText({ schema: SETTINGS_SCHEMA, ...next }));
      this.current = next;
      this.tell(next, previous);
      return next;
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  async flush(): Promise<void> {
    await this.writing;
  }
}
