import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A button for something hard to undo: the first click asks (in place, with what will happen), the
 * second does it; Cancel or Escape goes back.
 */
export function ConfirmButton({ children, question, confirmLabel, onConfirm, disabled = false, className = 'button-danger' }: { children: ReactNode; question: ReactNode; confirmLabel: string; onConfirm: () => void; disabled?: boolean; className?: string }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className={className} disabled={disabled} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label="Confirm" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <p>{question}</p>
      <div className="button-row">
        <button
          ref={confirmRef}
          type="button"
          className={className}
          disabled={disabled}
          onClick={() => {
            setAsking(false);
            onConfirm();
          }}
        >
          {confirmLabel}
        </button>
        <button type="button" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}
