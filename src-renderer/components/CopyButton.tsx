import { useState } from 'react';

type CopyState = 'idle' | 'copied' | 'failed';

/** Copies a value to the clipboard and says so (announced, and reset when focus leaves). */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<CopyState>('idle');
  const copy = (): void => {
    const clipboard = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
    if (!clipboard) {
      setState('failed');
      return;
    }
    clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <span className="copy">
      <button type="button" className="button-small" aria-label={`Copy ${what}`} onClick={copy} onBlur={() => setState('idle')}>
        Copy
      </button>
      <span role="status" className={state === 'idle' ? 'sr-only' : 'copy-status'}>
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy not allowed here' : ''}
      </span>
    </span>
  );
}
