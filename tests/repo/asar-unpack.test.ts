// Issue 16 §4: the packaged app loads native modules (the DHT engine's udx-native and sodium-native,
// keytar, cbor-extract) from outside the asar archive, where electron-builder's `asarUnpack` puts
// them. Every .node file of a production dependency must match one of those patterns.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Packages walked at most, and directory depth searched for .node files inside one. */
const MAX_PACKAGES = 2_000;
const MAX_DEPTH = 6;

/** The asarUnpack list of electron-builder.yml (a flat list of quoted globs). */
function asarUnpackPatterns(): string[] {
  const text = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
  const block = /^asarUnpack:\n((?:[ \t]+-[^\n]*\n)+)/m.exec(text);
  if (!block) return [];
  return [...block[1]!.matchAll(/^[ \t]+-[ \t]*"([^"]+)"/gm)].map((m) => m[1]!);
}

/** electron-builder's globs as used here: `**` any path (also none), `*` within one segment. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith('**/', i)) {
      out += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^/]*';
    else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Directories of the production dependencies (dependencies and optional ones, transitively). */
function productionPackages(): string[] {
  const seen = new Set<string>();
  const queue: Array<{ name: string; from: string }> = [];
  const enqueue = (dir: string): void => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) queue.push({ name, from: dir });
  };
  enqueue(ROOT);
  while (queue.length > 0 && seen.size < MAX_PACKAGES) {
    const { name, from } = queue.shift()!;
    // Node's resolution: the nearest node_modules up from the requiring package.
    let dir: string | undefined;
    for (let at = from; !dir; ) {
      const candidate = join(at, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) dir = candidate;
      else if (at === ROOT || relative(ROOT, at).startsWith('..')) break;
      else at = join(at, '..');
    }
    if (!dir || seen.has(dir)) continue; // an optional dependency for another platform
    seen.add(dir);
    enqueue(dir);
  }
  return [...seen];
}

function nodeFiles(dir: string, depth = 0): string[] {
  if (depth > MAX_DEPTH) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : nodeFiles(join(dir, entry.name), depth + 1);
    return entry.name.endsWith('.node') ? [join(dir, entry.name)] : [];
  });
}

describe('electron-builder unpacks native modules from the asar', () => {
  const patterns = asarUnpackPatterns().map(globToRegExp);

  it('the glob reading matches as electron-builder does', () => {
    expect(globToRegExp('**/node_modules/keytar/**/*.node').test('node_modules/keytar/build/Release/keytar.node')).toBe(true);
    expect(globToRegExp('**/node_modules/keytar/**/*.node').test('node_modules/keytar/lib/keytar.js')).toBe(false);
    expect(globToRegExp('**/node_modules/udx-native/prebuilds/**').test('node_modules/a/node_modules/udx-native/prebuilds/linux-x64/udx-native.node')).toBe(true);
  });

  it('the DHT engine and its native modules are production dependencies', () => {
    const names = productionPackages().map((dir) => relative(ROOT, dir));
    for (const name of ['node_modules/hyperdht', 'node_modules/udx-native', 'node_modules/sodium-native']) expect(names).toContain(name);
  });

  it('every .node file of a production dependency matches an asarUnpack pattern', () => {
    const files = productionPackages().flatMap((dir) => nodeFiles(dir)).map((file) => relative(ROOT, file));
    expect(files.some((f) => f.startsWith('node_modules/udx-native/'))).toBe(true);
    expect(files.some((f) => f.startsWith('node_modules/sodium-native/'))).toBe(true);
    const packed = files.filter((file) => !patterns.some((pattern) => pattern.test(file)));
    expect(packed).toEqual([]);
  });
});
