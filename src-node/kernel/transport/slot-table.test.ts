import { describe, expect, it } from 'vitest';
import { SlotTable } from './slot-table.js';

describe('a slot table', () => {
  it('refuses a source at its own cap while other sources still get in', () => {
    const table = new SlotTable<string>({ total: 10, perAddress: 2 });
    expect(table.admit('a', 'a1')).toEqual({ admitted: true, evicted: undefined });
    expect(table.admit('a', 'a2').admitted).toBe(true);
    expect(table.admit('a', 'a3')).toEqual({ admitted: false, reason: 'address' });
    expect(table.hasRoomFor('a')).toBe(false);
    expect(table.hasRoomFor('b')).toBe(true);
    expect(table.admit('b', 'b1').admitted).toBe(true);
    expect(table.count('a')).toBe(2);
    expect(table.size).toBe(3);
  });

  it('at a source cap, may evict that source’s own longest-idle item instead', () => {
    const table = new SlotTable<string>({ total: 10, perAddress: 2, evictAtAddressCap: true });
    table.admit('a', 'a1');
    table.admit('a', 'a2');
    table.setBusy('a1', true);
    expect(table.admit('a', 'a3')).toEqual({ admitted: true, evicted: 'a2' });
    // a1 is busy and a3 the only idle one: a3 goes next; with none idle the source is refused.
    expect(table.admit('a', 'a4')).toEqual({ admitted: true, evicted: 'a3' });
    table.setBusy('a4', true);
    expect(table.admit('a', 'a5')).toEqual({ admitted: false, reason: 'address' });
  });

  it('when full, makes room by evicting the longest-idle item of the heaviest source, never a busy one', () => {
    const table = new SlotTable<string>({ total: 5, perAddress: 4 });
    for (const item of ['f1', 'f2', 'f3']) table.admit('flood', item);
    table.admit('b', 'b1');
    table.admit('c', 'c1');
    expect(table.admit('d', 'd1')).toEqual({ admitted: true, evicted: 'f1' });
    table.setBusy('f2', true);
    table.setBusy('f3', true);
    // The flood's items are all busy: the heaviest source with an idle item is any 1-item source.
    const next = table.admit('e', 'e1');
    expect(next.admitted).toBe(true);
    expect(next.admitted && next.evicted !== undefined && !next.evicted.startsWith('f')).toBe(true);
    for (const item of ['f2', 'f3']) expect(table.has(item)).toBe(true);
  });

  it('refuses when full and nothing is idle, or when told never to evict', () => {
    const busy = new SlotTable<string>({ total: 2, perAddress: 2 });
    busy.admit('a', 'a1');
    busy.admit('b', 'b1');
    busy.setBusy('a1', true);
    busy.setBusy('b1', true);
    expect(busy.admit('c', 'c1')).toEqual({ admitted: false, reason: 'total' });
    const strict = new SlotTable<string>({ total: 1, perAddress: 1, evictAtTotalCap: false });
    strict.admit('a', 'a1');
    expect(strict.admit('b', 'b1')).toEqual({ admitted: false, reason: 'total' });
  });

  it('an item that goes idle again is the youngest idle one', () => {
    const table = new SlotTable<string>({ total: 10, perAddress: 3, evictAtAddressCap: true });
    table.admit('a', 'a1');
    table.admit('a', 'a2');
    table.admit('a', 'a3');
    table.setBusy('a1', true);
    table.setBusy('a1', false);
    expect(table.admit('a', 'a4')).toEqual({ admitted: true, evicted: 'a2' });
  });

  it('releases once, and forgets empty sources', () => {
    const table = new SlotTable<string>({ total: 2, perAddress: 1 });
    table.admit('a', 'a1');
    expect(table.release('a1')).toBe(true);
    expect(table.release('a1')).toBe(false);
    expect(table.sources).toBe(0);
    expect(table.size).toBe(0);
    expect(table.admit('a', 'a2').admitted).toBe(true);
  });
});
