// The screens of the window, in navigation order.
export const SCREENS = [
  { id: 'dashboard', label: 'Dashboard', title: 'Dashboard' },
  { id: 'vnodes', label: 'Work', title: 'Work' },
  { id: 'credit', label: 'Credit', title: 'Credit' },
  { id: 'activity', label: 'Activity', title: 'Activity' },
  { id: 'peers', label: 'Peers', title: 'Peers' },
  { id: 'limits', label: 'Limits', title: 'Contribution limits' },
  { id: 'trusted', label: 'Trusted', title: 'Trusted registration' },
  { id: 'settings', label: 'Settings', title: 'Settings' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];
