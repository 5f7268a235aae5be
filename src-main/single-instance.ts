// One PNode per user session: a second launch hands over to the first (which shows its window)
// and quits. Two runtimes on one data dir would fight over the identity and the ports.

/** After `app.requestSingleInstanceLock()`: go on, or quit at once. */
export function startupDecision(gotLock: boolean): 'continue' | 'quit' {
  return gotLock ? 'continue' : 'quit';
}

export interface WindowSnapshot {
  readonly exists: boolean;
  readonly minimized: boolean;
  readonly visible: boolean;
}

export type WindowStep = 'create' | 'restore' | 'show' | 'focus';

/**
 * What bringing the window to the front takes, in order: a second instance started, "Open
 * PNode" in the tray, a click on the dock icon. A window that was closed (hidden) is shown again,
 * a minimized one restored, a missing one created.
 */
export function bringToFrontSteps(window: WindowSnapshot): WindowStep[] {
  // A new window shows and focuses itself once ready (no flash of an empty window).
  if (!window.exists) return ['create'];
  const steps: WindowStep[] = [];
  if (window.minimized) steps.push('restore');
  if (!window.visible) steps.push('show');
  steps.push('focus');
  return steps;
}
