import { shortId } from '../format.js';
import { CopyButton } from './CopyButton.js';

/** A node id in its short form (the full id on hover and for copying). */
export function NodeIdText({ id, copy = false, what = 'node id' }: { id: string; copy?: boolean; what?: string }) {
  return (
    <span className="node-id">
      <code title={id}>{shortId(id)}</code>
      {copy && <CopyButton text={id} what={`${what} ${shortId(id)}`} />}
    </span>
  );
}
