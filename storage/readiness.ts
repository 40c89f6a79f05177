import { StoreUnavailableError } from '../consent/ledger.js';

/**
 * Whether the store can take a durable write right now: what a load balancer needs to know before
 * it sends a person who may say "stop". The probe writes to a table (collection) of its own, never
 * to the ledger, which is append-only proof.
 */
export interface ReadinessProbe {
  /** Resolves once a small probe record was written durably and read back; rejects otherwise. */
  check(): Promise<void>;
}

/** The memory store is ready while the process is up: it has no disk to fill. */
export const alwaysReady: ReadinessProbe = { check: () => Promise.resolve() };

/**
 * Rejects with STORE_UNAVAILABLE when `work` has not settled within `ms`. A probe stuck behind a
 * lock or a slow disk must answer "not ready" in time for the caller's own timeout.
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new StoreUnavailableError(`Store unavailable: ${what} took over ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, late]).finally(() => {
    clearTimeout(timer);
  });
}
