import { describe, expect, it } from 'vitest';
import { bringToFrontSteps, startupDecision } from './single-instance.js';

describe('single instance', () => {
  it('quits a second instance and lets the first go on', () => {
    expect(startupDecision(true)).toBe('continue');
    expect(startupDecision(false)).toBe('quit');
  });

  it('brings the existing window to the front, whatever state it is in', () => {
    expect(bringToFrontSteps({ exists: false, minimized: false, visible: false })).toEqual(['create']);
    expect(bringToFrontSteps({ exists: true, minimized: false, visible: false })).toEqual(['show', 'focus']);
    expect(bringToFrontSteps({ exists: true, minimized: true, visible: true })).toEqual(['restore', 'focus']);
    expect(bringToFrontSteps({ exists: true, minimized: true, visible: false })).toEqual(['restore', 'show', 'focus']);
    expect(bringToFrontSteps({ exists: true, minimized: false, visible: true })).toEqual(['focus']);
  });
});
