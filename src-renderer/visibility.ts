// Whether the window is shown. A hidden window does no work of its own: reconnect attempts wait
// for it to be shown again and clocks stop ticking.

export interface Visibility {
  isVisible(): boolean;
  /** Called on every change; returns the unsubscribe function. */
  onChange(listener: (visible: boolean) => void): () => void;
}

/** The document's visibility (Page Visibility API). */
export function documentVisibility(doc: Document = document): Visibility {
  return {
    isVisible: () => doc.visibilityState !== 'hidden',
    onChange(listener) {
      const handler = (): void => listener(doc.visibilityState !== 'hidden');
      doc.addEventListener('visibilitychange', handler);
      return () => doc.removeEventListener('visibilitychange', handler);
    },
  };
}

/** For places with no document (tests of the carriers): always shown. */
export const ALWAYS_VISIBLE: Visibility = {
  isVisible: () => true,
  onChange: () => () => undefined,
};
