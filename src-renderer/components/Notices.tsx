import { useNode } from '../store/store-context.js';

/** Notifications the node pushed (joined, trusted approved or revoked, orchestrators lost), until dismissed. */
export function Notices() {
  const notices = useNode((s) => s.notices);
  const dismiss = useNode((s) => s.dismissNotice);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className={`banner ${notice.kind === 'orchestrators-lost' || notice.kind === 'trusted-revoked' ? 'banner-warn' : 'banner-info'}`}>
          <span>
            <strong>{notice.title}</strong> {notice.body}
          </span>
          <button type="button" className="button-small" onClick={() => dismiss(notice.id)} aria-label={`Dismiss: ${notice.title}`}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
