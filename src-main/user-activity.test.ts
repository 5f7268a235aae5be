import { describe, expect, it } from 'vitest';
import type { UserActivity } from './node-host.js';
import { MAX_IDLE_SECONDS, createActivityReporter, userActivity } from './user-activity.js';

describe('user activity', () => {
  it('cleans raw samples', () => {
    expect(userActivity(12.9, true)).toEqual({ idleSeconds: 12, onBattery: true });
    expect(userActivity(-5, false)).toEqual({ idleSeconds: 0, onBattery: false });
    expect(userActivity(Number.NaN, 'yes')).toEqual({ idleSeconds: 0, onBattery: false });
    expect(userActivity(1e12, false)).toEqual({ idleSeconds: MAX_IDLE_SECONDS, onBattery: false });
  });

  it('reports the first sample and then only changes', () => {
    const samples: UserActivity[] = [
      { idleSeconds: 0, onBattery: false },
      { idleSeconds: 0, onBattery: false },
      { idleSeconds: 15, onBattery: false },
      { idleSeconds: 15, onBattery: true },
      { idleSeconds: 15, onBattery: true },
    ];
    const reported: UserActivity[] = [];
    let index = 0;
    const reporter = createActivityReporter(
      () => samples[index++] as UserActivity,
      (activity) => reported.push(activity),
    );
    for (let i = 0; i < samples.length; i++) reporter.sample();
    expect(reported).toEqual([samples[0], samples[2], samples[3]]);
  });
});
