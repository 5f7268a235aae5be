// Turns the contributor's moments into `notification` events, which NodeControl forwards to every
// UI (the desktop shell shows them natively): every orchestrator lost, trusted registration approved,
// the operator credential revoked by its authority (issue 15 §5).
import type { EventEmitter } from 'node:events';
import type { KernelComponents } from '../kernel/runtime/components.js';
import { requireComponents } from '../kernel/runtime/components.js';
import type { RuntimeModule } from '../kernel/runtime/runtime-module.js';
import type { MembershipEvents } from './membership/membership-module.js';
import type { TrustedRegistrationEvents } from './trust/trusted-registration-module.js';

export type NotificationsComponents = Pick<KernelComponents, 'ui'> & {
  readonly membership: Pick<EventEmitter<MembershipEvents>, 'on' | 'off'>;
  /** Absent where the node offers no trusted registration. */
  readonly trusted?: Pick<EventEmitter<TrustedRegistrationEvents>, 'on' | 'off'> | undefined;
};

export class NotificationsModule implements RuntimeModule {
  readonly name = 'notifications';
  private readonly lost = (): void => {
    this.components.ui.notify('orchestrators-lost', 'No orchestrator reachable', 'This PNode lost every orchestrator; it keeps trying to reach one.');
  };
  private readonly approved = (): void => {
    this.components.ui.notify('trusted-approved', 'Trusted registration approved', 'This PNode now carries an operator credential; orchestrators may give it larger VNodes.');
  };
  private readonly revoked = (): void => {
    this.components.ui.notify('trusted-revoked', 'Trusted registration revoked', 'The registration authority revoked this PNode\'s operator credential. It goes on as an untrusted node; enroll again with a new token to be trusted.');
  };

  constructor(private readonly components: NotificationsComponents) {
    requireComponents(this.name, components, ['ui', 'membership']);
  }

  start(): void {
    this.components.membership.on('orchestrators-lost', this.lost);
    this.components.trusted?.on('trusted-approved', this.approved);
    this.components.trusted?.on('trusted-revoked', this.revoked);
  }

  stop(): void {
    this.components.membership.off('orchestrators-lost', this.lost);
    this.components.trusted?.off('trusted-approved', this.approved);
    this.components.trusted?.off('trusted-revoked', this.revoked);
  }
}
