/**
 * Limits on what a box may send the control plane. A tenant controls its box entirely as the runtime user (it can
 * write any event file and interfere with its own serve process), so every value below bounds memory, Postgres rows
 * or a failing INSERT that a hostile box could otherwise cause. Each is far above what the honest runtime writes.
 * One place, so the channel, the collector, the API and their tests agree.
 */

/**
 * One line of `chainctl serve --stdio`. The honest runtime's largest lines are answers (`status` of a run with many
 * steps, `list` of a box with many runs, an `events` page) at a few MB at most; events are capped far lower below. A
 * longer line is discarded up to its newline (never buffered) and reported. 64 MiB let 20 events of 20 MB take a
 * worker from 221 MB to 1.4 GB.
 */
export const MAX_SERVE_LINE_BYTES = 8 * 1024 * 1024;

/**
 * One event as its serve line carries it. The runtime's largest events (a `created` naming every prompt file and
 * input, a `replay` listing removed files, a decision prompt) are a few KB; outputs live in files, never in events.
 * Events are stored whole in `usage_events.payload` and served in API pages, so this also bounds a stored row.
 */
export const MAX_EVENT_BYTES = 256 * 1024;

/** `message` and `error` of one event, in UTF-16 code units (a decision prompt, an agent's error tail). */
export const MAX_EVENT_TEXT_CHARS = 64 * 1024;

/** `data` of one event serialized as JSON. */
export const MAX_EVENT_DATA_BYTES = 128 * 1024;

/**
 * Nesting of `data` (objects and arrays). The runtime writes depth 2 at most. Deep nesting overflows recursive
 * serializers (JSON.stringify, PostgreSQL's jsonb input: "stack depth limit exceeded") and stalled a box's collection.
 */
export const MAX_EVENT_DATA_DEPTH = 32;

/** Run ids the runtime makes are at most 128 safe characters (the `usage_events.runtime_run_id` column's width). */
export const MAX_RUN_ID_CHARS = 128;

/** The largest value of a PostgreSQL `integer` column (seq, attempt, exit code, step and run token totals). */
export const PG_INT_MAX = 2_147_483_647;
/** The smallest value of a PostgreSQL `integer` column (exit codes may be negative). */
export const PG_INT_MIN = -2_147_483_648;
/** The largest value of a PostgreSQL `bigint` column (cost micros). */
export const PG_BIGINT_MAX = 9_223_372_036_854_775_807n;

/**
 * Tokens one event may report (input, output or total). A billion is ~500 times the largest context window sold
 * today; anything above is a lie, quarantined instead of clamped into the books. (Run and step totals saturate at
 * PG_INT_MAX: a run adding up many large events keeps its row writable.)
 */
export const MAX_TOKENS_PER_EVENT = 1_000_000_000;

/**
 * Dollars one event may report: one million (10^12 micros). Sums of such values saturate at PG_BIGINT_MAX, so a run's
 * total can never make its UPDATE fail ("bigint out of range").
 */
export const MAX_COST_USD_PER_EVENT = 1_000_000;

/** Bytes one event may report as an attempt's output size: a tebibyte (more is a lie, quarantined). */
export const MAX_OUTPUT_BYTES_PER_EVENT = 2 ** 40;

/** Seconds one event may report as a duration: a year. */
export const MAX_DURATION_SECONDS = 366 * 24 * 3600;

/**
 * Bytes of the events in one API page (their stored JSON). A page stops early when the next event would exceed it; the
 * client continues with `after` as usual. One event is never larger than this (MAX_EVENT_BYTES is enforced at
 * ingestion), so every page holds at least one event and progress is guaranteed.
 */
export const MAX_EVENT_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of events a box collector holds before writing them (parsed events waiting for the next batch). Past this the
 * serve channel is paused: the box's bytes wait in the SSH window (2 MiB) and the box's own pipe, not in the worker.
 */
export const MAX_COLLECTOR_BUFFER_BYTES = 16 * 1024 * 1024;

/** A quarantined record keeps this much of what the box sent, for operators (never the whole thing). */
export const QUARANTINE_EXCERPT_BYTES = 2 * 1024;

/**
 * Terminal streams (`GET /v1/runs/:id/steps/:step/terminal`, the serve channel's `terminal` op). A chunk is at most
 * this many bytes of the step's pty.log (base64 on the wire: a serve line of ~88 KB). The control plane refuses a
 * bigger one and ends the stream.
 */
export const MAX_TERMINAL_CHUNK_BYTES = 64 * 1024;

/** A replay starts at most this many bytes before the end of the log; what lies before is skipped (and said so). */
export const TERMINAL_REPLAY_BYTES = 2 * 1024 * 1024;

/**
 * Bytes one terminal stream may carry in all (replay and live). A step that prints without end is cut here: the
 * stream ends with reason `limit` and the client may open a new one (which replays the tail again).
 */
export const MAX_TERMINAL_STREAM_BYTES = 64 * 1024 * 1024;

/** The longest line the dedicated serve channel of a terminal stream accepts: one chunk and its envelope. */
export const MAX_TERMINAL_LINE_BYTES = 256 * 1024;
