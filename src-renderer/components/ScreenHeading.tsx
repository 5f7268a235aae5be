import type { ReactNode } from 'react';

/** The screen's h1; focusable so navigation can move focus to it. */
export function ScreenHeading({ children, lead }: { children: ReactNode; lead?: ReactNode }) {
  return (
    <div className="screen-head">
      <h1 tabIndex={-1}>{children}</h1>
      {lead !== undefined && <p className="lead">{lead}</p>}
    </div>
  );
}
