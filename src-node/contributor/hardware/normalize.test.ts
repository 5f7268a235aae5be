import { describe, expect, it } from 'vitest';
import { HARDWARE_MAX_GPUS, HARDWARE_MAX_INTEGER, HARDWARE_TEXT_MAX_LENGTH } from '../../../src-shared/hardware/hardware-summary.js';
import {
  BYTES_PER_MB,
  amountMb,
  availableMemoryMb,
  capacityMb,
  count,
  ghzToMhz,
  gpu,
  gpuList,
  isUnderMount,
  mountCandidates,
  platformName,
  text,
  vramMb,
} from './normalize.js';

describe('text', () => {
  it('keeps real text, trimmed, with white space runs made one space', () => {
    expect(text('  Intel(R)   Xeon(R)\tProcessor ')).toBe('Intel(R) Xeon(R) Processor');
    expect(text('Xeon® Processor')).toBe('Xeon® Processor');
  });

  it('makes empty text, placeholders and non-strings unknown', () => {
    for (const raw of ['', '   ', 'unknown', 'N/A', '-', 'Default string', 'To Be Filled By O.E.M.', undefined, null, 0, 42, {}, []]) {
      expect(text(raw)).toBeNull();
    }
  });

  it('removes control characters', () => {
    expect(text('GeForce\u0000RTX\n3080\u0007')).toBe('GeForce RTX 3080');
  });

  it('clips long text to the limit in code points', () => {
    const clipped = text('é'.repeat(HARDWARE_TEXT_MAX_LENGTH + 50));
    expect(clipped).not.toBeNull();
    expect(Array.from(clipped!).length).toBe(HARDWARE_TEXT_MAX_LENGTH);
    expect(Array.from(text('😀'.repeat(HARDWARE_TEXT_MAX_LENGTH + 1))!).length).toBe(HARDWARE_TEXT_MAX_LENGTH);
  });
});

describe('count (cores)', () => {
  it('keeps positive integers', () => {
    expect(count(1)).toBe(1);
    expect(count(64)).toBe(64);
  });

  it('makes 0, negatives, NaN, infinities, fractions, huge values and non-numbers unknown', () => {
    for (const raw of [0, -2, Number.NaN, Infinity, 2.5, HARDWARE_MAX_INTEGER + 1, '8', null, undefined]) expect(count(raw)).toBeNull();
  });
});

describe('ghzToMhz (CPU speed)', () => {
  it('turns GHz into whole MHz', () => {
    expect(ghzToMhz(2.45)).toBe(2450);
    expect(ghzToMhz(3)).toBe(3000);
    expect(ghzToMhz(2.4999)).toBe(2500);
  });

  it('makes speed 0 (containers) unknown, never 0 MHz', () => {
    expect(ghzToMhz(0)).toBeNull();
  });

  it('makes negatives, NaN, non-numbers and implausible clocks unknown', () => {
    for (const raw of [-1, Number.NaN, '2.4', null, undefined, 2400, 0.0001]) expect(ghzToMhz(raw)).toBeNull();
  });
});

describe('sizes in MB', () => {
  it('capacityMb rounds bytes down to whole MB and makes 0 unknown', () => {
    expect(capacityMb(25_276_514_304)).toBe(24_105);
    expect(capacityMb(BYTES_PER_MB)).toBe(1);
    expect(capacityMb(BYTES_PER_MB - 1)).toBeNull();
    for (const raw of [0, -1, Number.NaN, null, undefined, '1024']) expect(capacityMb(raw)).toBeNull();
  });

  it('amountMb treats 0 as a reading: a full disk has 0 MB free', () => {
    expect(amountMb(0)).toBe(0);
    expect(amountMb(BYTES_PER_MB * 1.9)).toBe(1);
    for (const raw of [-1, Number.NaN, null, undefined]) expect(amountMb(raw)).toBeNull();
  });

  it('availableMemoryMb makes 0 unknown: systeminformation says 0 when it could not read it', () => {
    expect(availableMemoryMb(0)).toBeNull();
    expect(availableMemoryMb(24_797_511_680)).toBe(23_648);
  });

  it('makes values beyond the integer limit unknown', () => {
    expect(capacityMb((HARDWARE_MAX_INTEGER + 1) * BYTES_PER_MB)).toBeNull();
    expect(amountMb(HARDWARE_MAX_INTEGER * BYTES_PER_MB)).toBe(HARDWARE_MAX_INTEGER);
  });
});

describe('vramMb', () => {
  it('keeps MB as systeminformation reports them, rounding fractions', () => {
    expect(vramMb(8192)).toBe(8192);
    expect(vramMb(4095.9)).toBe(4096);
  });

  it('makes VRAM 0 and null unknown', () => {
    for (const raw of [0, null, undefined, -512, Number.NaN]) expect(vramMb(raw)).toBeNull();
  });

  it('takes a figure too large to be MB as bytes', () => {
    expect(vramMb(4 * 1024 * 1024 * 1024)).toBe(4096);
  });

  it('makes implausible amounts unknown', () => {
    expect(vramMb(2 * 1024 * 1024)).toBeNull();
  });
});

describe('platformName', () => {
  it('uses Node.js names', () => {
    expect(platformName('linux')).toBe('linux');
    expect(platformName('Windows')).toBe('win32');
    expect(platformName('darwin')).toBe('darwin');
    expect(platformName('')).toBeNull();
  });
});

describe('GPUs', () => {
  it('an empty controller list is "none detected", distinct from unknown', () => {
    expect(gpuList([])).toEqual([]);
    expect(gpuList(undefined)).toBeNull();
    expect(gpuList('nope')).toBeNull();
  });

  it('maps a controller, VRAM 0 being unknown', () => {
    expect(gpu({ vendor: 'NVIDIA Corporation', model: 'GeForce RTX 3080', vram: 10240 })).toEqual({
      'gpu/vendor': 'NVIDIA Corporation',
      'gpu/model': 'GeForce RTX 3080',
      'gpu/vram-mb': 10240,
    });
    expect(gpu({ vendor: 'Intel Corporation', model: 'UHD Graphics 620', vram: 0 })['gpu/vram-mb']).toBeNull();
  });

  it('falls back to the driver name and nvidia-smi total', () => {
    expect(gpu({ vendor: '', model: '', name: 'NVIDIA A100', vram: null, memoryTotal: 40960 })).toEqual({
      'gpu/vendor': null,
      'gpu/model': 'NVIDIA A100',
      'gpu/vram-mb': 40960,
    });
  });

  it('leaves out entries that say nothing and non-objects, and caps the list', () => {
    expect(gpuList([{ vendor: '', model: '', vram: 0 }, null, 7, { vendor: 'AMD' }])).toEqual([
      { 'gpu/vendor': 'AMD', 'gpu/model': null, 'gpu/vram-mb': null },
    ]);
    const many = Array.from({ length: HARDWARE_MAX_GPUS + 5 }, (_, i) => ({ vendor: 'V', model: `M${i}`, vram: 1024 }));
    expect(gpuList(many)).toHaveLength(HARDWARE_MAX_GPUS);
  });
});

describe('the data dir\'s filesystem', () => {
  it('a path lies under its mount, not under a sibling with a common prefix', () => {
    expect(isUnderMount('/', '/home/a', 'linux')).toBe(true);
    expect(isUnderMount('/home', '/home/a', 'linux')).toBe(true);
    expect(isUnderMount('/home', '/home', 'linux')).toBe(true);
    expect(isUnderMount('/home', '/homework/a', 'linux')).toBe(false);
    expect(isUnderMount('', '/home', 'linux')).toBe(false);
  });

  it('on Windows, drive letters match case-insensitively with either separator', () => {
    expect(isUnderMount('C:', 'c:\\Users\\a', 'win32')).toBe(true);
    expect(isUnderMount('C:', 'C:/Users/a', 'win32')).toBe(true);
    expect(isUnderMount('D:', 'C:\\Users\\a', 'win32')).toBe(false);
  });

  it('candidates are the mounts above the path, deepest first', () => {
    const entries = [{ mount: '/' }, { mount: '/srv/data' }, { mount: '/srv' }, { mount: '/boot' }, { size: 1 }];
    expect(mountCandidates(entries, '/srv/data/pnode', 'linux').map((e) => e.mount)).toEqual(['/srv/data', '/srv', '/']);
  });
});
