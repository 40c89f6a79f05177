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

/**
 * Runs a synchronous store call. Errors of the caller's making pass through; anything else (disk
 * full, database closed or corrupt) becomes STORE_UNAVAILABLE.
 */
export function attempt<T>(what: string, work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    if (isCallerError(error)) return Promise.reject(error);
    return Promise.reject(
      new StoreUnavailableError(`Store unavailable: ${what}`, { cause: error }),
    );
  }
}
