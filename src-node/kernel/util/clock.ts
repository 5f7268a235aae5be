/** Wall-clock time in milliseconds, injectable so time-dependent rules can be tested. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until told to move. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.parse('2026-11-21T12:00:00Z')) {}

  now(): number {
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
