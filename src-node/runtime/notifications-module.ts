// Turns feature modules' moments into `notification` events on the runtime, which NodeControl
// forwards to every UI (the desktop shell shows them natively). Start it after the modules it
// listens to.
import type { EventEmitter } from 'node:events';
import type { NodeRuntime } from './node-runtime.js';
import type { RuntimeModule } from './runtime-module.js';

export class NotificationsModule implements RuntimeModule {
  readonly name = 'notifications';
  private readonly detach: Array<() => void> = [];

  start(runtime: NodeRuntime): void {
    const membership = runtime.module('membership') as (RuntimeModule & EventEmitter) | undefined;
    if (membership && typeof membership.on === 'function') {
      const lost = (): void => {
        runtime.emit('notification', 'orchestrators-lost', 'No orchestrator reachable', 'This PNode lost every orchestrator; it keeps trying to reach one.');
      };
      membership.on('orchestrators-lost', lost);
      this.detach.push(() => membership.off('orchestrators-lost', lost));
    }
  }

  stop(): void {
    for (const off of this.detach.splice(0)) off();
  }
}
