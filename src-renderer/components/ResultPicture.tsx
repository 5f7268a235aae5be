import { useEffect, useState } from 'react';
import type { FinishedTaskInfo } from '../../src-shared/control/work-view.js';
import { useNode } from '../store/store-context.js';

/**
 * A result that is a picture: fetched from the node through the control contract (same token and
 * origin rules as any command) and shown as a data: URL, which the page's CSP allows for images.
 */
export function ResultPicture({ result, size = 96 }: { result: FinishedTaskInfo; size?: number }) {
  const send = useNode((s) => s.send);
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    void send({ command: 'get-result-picture', taskId: result.taskId }).then((answer) => {
      if (!live) return;
      if (answer.ok) setSrc(`data:${answer.value.mime};base64,${answer.value.base64}`);
      else setFailed(true);
    });
    return () => {
      live = false;
    };
  }, [send, result.taskId]);
  const caption = result.picture?.caption ?? 'Result picture';
  return (
    <figure className="result-picture">
      {src !== null ? (
        <img src={src} width={size} height={size} alt={caption} />
      ) : (
        <div className="result-picture-empty" style={{ width: size, height: size }}>
          {failed ? 'no longer kept' : 'loading…'}
        </div>
      )}
      <figcaption>{caption}</figcaption>
    </figure>
  );
}
