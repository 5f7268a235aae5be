import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VECTORS_COPY_PATH, VECTORS_SHARED_PATH } from '../fixtures/vectors.js';

describe('the committed copy of the conformance vectors', () => {
  it.skipIf(!existsSync(VECTORS_SHARED_PATH))('is byte-identical to ../shared/spec/vectors.json', () => {
    expect(readFileSync(VECTORS_COPY_PATH).equals(readFileSync(VECTORS_SHARED_PATH))).toBe(true);
  });
});
