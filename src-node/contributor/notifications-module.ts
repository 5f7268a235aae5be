// Turns feature modules' moments into `notification` events on the runtime, which NodeControl
// forwards to every UI (the desktop shell shows them natively). Start it after the modules it
// listens to.
import type { EventEmitter } from 'node:events';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../kernel/runtime/runtime-module.js';

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
    const trusted = runtime.module('trusted-registration') as (RuntimeModule & EventEmitter) | undefined;
    if (trusted && typeof trusted.on === 'function') {
      const approved = (): void => {
        runtime.emit('notification', 'trusted-approved', 'Trusted registration approved', 'This PNode now carries an operator credential; orchestrators may give it larger VNodes.');
      };
      trusted.on('trusted-approved', approved);
      this.detach.push(() => trusted.off('trusted-approved', approved));
    }
  }

  stop(): void {
    for (const off of this.detach.splice(0)) off();
  }
}
