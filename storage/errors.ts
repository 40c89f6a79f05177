import { setTimeout as sleep } from 'node:timers/promises';
import { LedgerConflictError, StoreUnavailableError } from '../consent/ledger.js';

/** A write carried an eTag that is no longer current: the caller re-reads and retries. */
export class ETagConflictError extends Error {
  readonly code = 'ETAG_CONFLICT';
}

/** Errors of the caller's making (a conflict, a bad argument): never reported as an outage. */
export function isCallerError(error: unknown): error is Error {
  return (
    error instanceof ETagConflictError ||
    error instanceof LedgerConflictError ||
    error instanceof RangeError
  );
}

/** How long a call waits, off the event loop, for another SQLite connection's write lock. */
export interface BusyRetry {
  /** Total time, from the first refusal, after which the call fails with STORE_UNAVAILABLE. */
  readonly deadlineMs: number;
  /** First pause; each next one doubles, up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** Up to five seconds for another process to release the lock, on timers, then a clean refusal. */
export const DEFAULT_BUSY_RETRY: BusyRetry = { deadlineMs: 5000, firstDelayMs: 2, maxDelayMs: 50 };

/**
 * SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY...): another
 * connection holds the lock. Not SQLITE_LOCKED, which is a conflict inside this connection.
 */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function unavailable(what: string, error: unknown): Error {
  if (isCallerError(error)) return error;
  return new StoreUnavailableError(`Store unavailable: ${what}`, { cause: error });
}

/**
 * Runs a synchronous store call. Errors of the caller's making (a conflict, a bad argument) pass
 * through; anything else (disk full, database closed or corrupt) becomes STORE_UNAVAILABLE.
 *
 * When SQLite answers SQLITE_BUSY (another process holds the write lock), the call is run again
 * after a short pause on a timer, until `busy.deadlineMs`. better-sqlite3 is synchronous: its own
 * busy_timeout would sleep inside the call and freeze the whole server (health checks, stops)
 * for as long as the other process holds the lock, so the database runs with busy_timeout = 0
 * and the waiting happens here. Every SQLite call is one statement or one transaction, which
 * SQLite rolls back when it is refused, so running it again applies it once.
 */
export function attempt<T>(
  what: string,
  work: () => T,
  busy: BusyRetry = DEFAULT_BUSY_RETRY,
): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    if (isBusy(error)) return retryWhileBusy(what, work, busy, error);
    return Promise.reject(unavailable(what, error));
  }
}

async function retryWhileBusy<T>(
  what: string,
  work: () => T,
  busy: BusyRetry,
  first: unknown,
): Promise<T> {
  const deadline = performance.now() + busy.deadlineMs;
  let delay = busy.firstDelayMs;
  let last = first;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    // Jitter, so that several waiting calls do not all retry at the same instant.
    await sleep(Math.min(left, delay * (0.5 + Math.random() / 2)));
    try {
      return work();
    } catch (error) {
      if (!isBusy(error)) throw unavailable(what, error);
      last = error;
    }
    delay = Math.min(delay * 2, busy.maxDelayMs);
  }
  throw new StoreUnavailableError(
    `Store unavailable: ${what} (the database stayed locked ${busy.deadlineMs} ms)`,
    { cause: last },
  );
}
