// The screens of the window, in navigation order.
export const SCREENS = [
  { id: 'dashboard', label: 'Dashboard', title: 'Dashboard' },
  { id: 'peers', label: 'Peers', title: 'Peers' },
  { id: 'limits', label: 'Limits', title: 'Contribution limits' },
  { id: 'vnodes', label: 'VNodes', title: 'Virtual nodes' },
  { id: 'trusted', label: 'Trusted', title: 'Trusted registration' },
  { id: 'activity', label: 'Activity', title: 'Activity' },
  { id: 'settings', label: 'Settings', title: 'Settings' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];
