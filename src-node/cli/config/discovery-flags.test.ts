import { describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { directoriesFromArgs } from './discovery-flags.js';

describe('--directory', () => {
  it('takes --directory URLs under the loopback policy', () => {
    expect(directoriesFromArgs({ positionals: [], options: { directory: ['https://seed.example/dir/'] } })).toEqual(['https://seed.example/dir']);
    expect(directoriesFromArgs({ positionals: [], options: { directory: ['http://127.0.0.1:8080'], 'insecure-loopback': true } })).toEqual(['http://127.0.0.1:8080']);
    expect(() => directoriesFromArgs({ positionals: [], options: { directory: ['http://127.0.0.1:8080'] } })).toThrow(UsageError);
    expect(() => directoriesFromArgs({ positionals: [], options: { directory: ['http://seed.example'], 'insecure-loopback': true } })).toThrow(/only on loopback/);
    expect(() => directoriesFromArgs({ positionals: [], options: { directory: ['ftp://seed.example'] } })).toThrow(UsageError);
  });
});
