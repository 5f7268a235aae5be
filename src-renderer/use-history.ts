// The chart's buckets: fetched with get-history, and again whenever the node says they changed
// (contributionHistory.revision or .hour), never polled.
import { useEffect, useState } from 'react';
import type { ContributionHistoryDetail } from '../src-shared/control/credit-view.js';
import { useNode } from './store/store-context.js';

export function useHistory(): ContributionHistoryDetail | null {
  const send = useNode((s) => s.send);
  const revision = useNode((s) => s.node?.contributionHistory.revision ?? 0);
  const hour = useNode((s) => s.node?.contributionHistory.hour ?? 0);
  const [detail, setDetail] = useState<ContributionHistoryDetail | null>(null);
  useEffect(() => {
    let live = true;
    void send({ command: 'get-history' }).then((result) => {
      if (live && result.ok) setDetail(result.value);
    });
    return () => {
      live = false;
    };
  }, [send, revision, hour]);
  return detail;
}
