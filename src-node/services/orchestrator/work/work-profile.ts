// The numbers of the work scheduler (issue 7 §3), once. The rules they feed are in quorum.ts and
// work-scheduler.ts.
import { MAX_CHUNKS_PER_MODULE_REQUEST } from '../../../../src-shared/protocol/messages/work-bodies.js';

/** Agreeing results from different PNodes that accept an untrusted task's output. */
export const QUORUM = 2;
/** Share of the tasks a trusted PNode runs alone that are checked on another PNode as well. */
export const SPOT_CHECK_FRACTION = 0.1;
/** Results one task may collect (two, then tie-breakers one at a time) before it fails for want of a majority. */
export const MAX_VOTES_PER_TASK = 5;
/** Failures (a non-ok status other than `cancelled`, or no answer in time) after which a task fails. */
export const MAX_TASK_FAILURES = 2;
/** Attempts of one task in all (refusals and lost PNodes included) before it fails. */
export const MAX_ATTEMPTS_PER_TASK = 12;

/** Score points (of 100) a PNode loses for each result that lost a quorum. */
export const LIE_PENALTY_POINTS = 20;
/** Lost quorums after which a PNode gets no more work: its work VNodes are released and it is traced. */
export const LIES_BEFORE_BAN = 2;
/** PNodes remembered as banned or demoted at most (the oldest is forgotten first). */
export const MAX_REMEMBERED_PNODES = 20_000;

/** A result is awaited this many times the task's running-time budget (a throttled PNode runs slower)… */
export const ATTEMPT_WALL_FACTOR = 4;
/** …plus this long (module fetch, queueing, the network), then the attempt counts as failed. */
export const ATTEMPT_GRACE_MS = 30_000;
/** A PNode that refused a task (paused, busy) gets no other task for this long. */
export const REFUSAL_COOLDOWN_MS = 2_000;

/**
 * Work messages (tasks and module chunks) sent to one PNode per second, and the burst: half the
 * session's rate limit (RATE_LIMIT_MESSAGES_PER_SECOND = 20 per node-id), the rest is left for
 * heartbeats, keepalive and membership. This caps one PNode at 10 tasks/s.
 */
export const WORK_MESSAGES_PER_SECOND = 10;
export const WORK_MESSAGES_BURST = 20;
/** Module chunks queued for one PNode at most (two windows); a request beyond is refused. */
export const MAX_QUEUED_CHUNKS_PER_PNODE = 2 * MAX_CHUNKS_PER_MODULE_REQUEST;

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

/** Jobs open at once, tasks per job, finished jobs remembered. */
export const MAX_OPEN_JOBS = 16;
export const MAX_TASKS_PER_JOB = 4_096;
export const MAX_JOBS_KEPT = 64;
/** Modules kept for shipping, in bytes (a module of a finished job goes when no open job needs it). */
export const MAX_MODULE_STORE_BYTES = 64 * 1024 * 1024;

/** How often deadlines, the VNode pool and dispatch are looked at (results dispatch at once). */
export const WORK_TICK_MS = 250;
