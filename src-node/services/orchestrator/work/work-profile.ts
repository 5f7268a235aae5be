// The numbers of the work scheduler (issue 7 §3, issue 13 §3–§4), once. The rules they feed are in
// judge.ts, reputation.ts, independence.ts, benchmark.ts and work-scheduler.ts.
import { MAX_CHUNKS_PER_MODULE_REQUEST } from '../../../../src-shared/protocol/messages/work-bodies.js';

/** Share of the tasks a reliable PNode would run alone that are checked on another PNode as well. */
export const SPOT_CHECK_FRACTION = 0.1;
/** Failures (a non-ok status other than `cancelled`, or no answer in time) after which a task fails. */
export const MAX_TASK_FAILURES = 2;
/** Attempts of one task in all (refusals and lost PNodes included) before it fails. */
export const MAX_ATTEMPTS_PER_TASK = 12;

/** Score points (of 100) a PNode loses for each result that lost a quorum (what placement ranks by). */
export const LIE_PENALTY_POINTS = 20;
/** PNodes remembered (banned, demoted, their places and records) at most: the most one orchestrator registers. */
export const MAX_REMEMBERED_PNODES = 50_000;

/** A result is awaited this many times the task's running-time budget (a throttled PNode runs slower)… */
export const ATTEMPT_WALL_FACTOR = 4;
/** …plus this long (module fetch, queueing, the network), then the attempt counts as failed. */
export const ATTEMPT_GRACE_MS = 30_000;
/** A PNode that refused a task (paused, busy) gets no other task for this long. */
export const REFUSAL_COOLDOWN_MS = 2_000;

/**
 * Work messages (tasks and blob chunks) sent to one PNode per second, and the burst: half the
 * session's rate limit (RATE_LIMIT_MESSAGES_PER_SECOND = 20 per node-id), the rest is left for
 * heartbeats, keepalive and membership. This caps one PNode at 10 tasks/s.
 */
export const WORK_MESSAGES_PER_SECOND = 10;
export const WORK_MESSAGES_BURST = 20;
/** Blob chunks queued for one PNode at most (two windows); a request beyond is refused. */
export const MAX_QUEUED_CHUNKS_PER_PNODE = 2 * MAX_CHUNKS_PER_MODULE_REQUEST;
/** Blob requests waiting for their blob to be read from disk, per PNode and in all. */
export const MAX_BLOB_WAITERS_PER_PNODE = 4;
export const MAX_BLOB_WAITERS = 1_024;

/** The VNodes work runs in: one core each (tasks are single-threaded), this much memory. */
export const WORK_VNODE_CORES = 1;
export const WORK_VNODE_MEMORY_MB = 64;
/** Work VNodes one scheduler holds at most. */
export const MAX_WORK_VNODES = 4_096;
/** Runs that found no free VNode, looked for per dispatch (each may ask the pool for one more VNode). */
export const STARVED_SCAN_CAP = 64;
/** Work VNodes not placed after this many heartbeat intervals are given back (they fit nowhere). */
export const STALE_PENDING_INTERVALS = 3;
/** With no open task for this long, the work VNodes are released. */
export const IDLE_RELEASE_MS = 60_000;

/** How long a claimed task is the claimer's without renewal, and how often held tasks are renewed. */
export const TASK_LEASE_MS = 60_000;
export const LEASE_RENEW_MS = 15_000;
/** Tasks one orchestrator holds at most, and claims at once. */
export const MAX_HELD_TASKS = 20_000;
export const CLAIM_BATCH = 1_000;
/** Tasks held even with no free VNode in sight (so the pool has runs to grow for). */
export const MIN_HELD_TASKS = 32;
/** A held task no run could be sent for in this long is given back (another orchestrator may place it)… */
export const STUCK_RELEASE_MS = 5 * 60_000;
/** …and is claimable again after this long. */
export const RELEASE_BACKOFF_MS = 30_000;
/** How often an idle scheduler looks for new tasks and expired deadlines in the store. */
export const CLAIM_POLL_MS = 1_000;
/** Writes gathered into one store transaction at most (more wait for the next). */
export const MAX_WRITES_PER_FLUSH = 20_000;

/** How often deadlines, the VNode pool and dispatch are looked at (results dispatch at once). */
export const WORK_TICK_MS = 250;
