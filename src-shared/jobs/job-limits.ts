// The numbers of the project-facing job API (issue 13 §1), once. What a task may carry is bounded
// by the WASI workload format (src-shared/vnode/limits.ts); these bound what a project may ask of
// an orchestrator: batches, tasks, blobs, requests, replication, deadlines.
import { MAX_BLOB_BYTES } from '../vnode/limits.js';

/** One JSON request body (a page of task specs) at most. */
export const MAX_JOB_JSON_BYTES = 4 * 1024 * 1024;
/** Task specs one submit request carries at most. */
export const MAX_TASKS_PER_REQUEST = 1_000;
/** Tasks one batch holds at most. */
export const MAX_TASKS_PER_BATCH = 100_000;
/** Batches of one project that are not retired, at most. */
export const MAX_LIVE_BATCHES_PER_PROJECT = 256;
/** Tasks not decided yet over all projects, at most (a submit beyond is refused). */
export const MAX_OPEN_TASKS = 1_000_000;

/** A blob (module or input file) at most: what a PNode's cache and the chunk protocol take. */
export const MAX_JOB_BLOB_BYTES = MAX_BLOB_BYTES;
/** Bytes of one upload request (a chunk of a blob). */
export const BLOB_UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** Blob bytes one project keeps at most (complete blobs its live batches reference). */
export const MAX_PROJECT_BLOB_BYTES = 2 * 1024 * 1024 * 1024;
/** Uploads in progress per project at most; an unfinished one is dropped after UPLOAD_IDLE_MS. */
export const MAX_PARTIAL_UPLOADS_PER_PROJECT = 16;
export const UPLOAD_IDLE_MS = 60 * 60_000;

/** Items per page of every list (batches, tasks, outputs) by default and at most. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1_000;

/** A signed request is good for this long either side of the orchestrator's clock. */
export const REQUEST_CLOCK_SKEW_MS = 5 * 60_000;
/** A request nonce: base64url, this many characters at least and at most. */
export const MIN_NONCE_LENGTH = 16;
export const MAX_NONCE_LENGTH = 64;
/** Requests one project key may make per second sustained, and at once (its nonces are kept for the window). */
export const PROJECT_REQUESTS_PER_SECOND = 50;
export const PROJECT_REQUEST_BURST = 200;

/** Replication: agreeing results that accept a task, from 2 (at least two independent PNodes) … */
export const MIN_QUORUM = 2;
export const MAX_QUORUM = 4;
export const DEFAULT_QUORUM = 2;
/** … and results one task may collect before it fails for want of a majority. */
export const MAX_RESULTS_PER_TASK = 8;
export const DEFAULT_MAX_RESULTS = 5;

/** A task's deadline: by default this long after submission, at most MAX_TASK_DEADLINE_MS. */
export const DEFAULT_TASK_DEADLINE_MS = 7 * 24 * 60 * 60_000;
export const MAX_TASK_DEADLINE_MS = 90 * 24 * 60 * 60_000;
/** The earliest deadline a task may name: time to run at least once. */
export const MIN_TASK_DEADLINE_MS = 10_000;

/** Names: of a batch (for people) and of a task (unique in its batch, used as a directory name). */
export const MAX_BATCH_NAME_LENGTH = 200;
export const MAX_TASK_NAME_LENGTH = 128;
/** Project names, descriptions and URLs as a network descriptor lists them. */
export const MAX_PROJECT_NAME_LENGTH = 100;
export const MAX_PROJECT_DESCRIPTION_LENGTH = 1_000;
export const MAX_PROJECT_URL_LENGTH = 2_048;
/** Projects one network descriptor names at most. */
export const MAX_PROJECTS_PER_NETWORK = 64;
