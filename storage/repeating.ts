/**
 * A background job run every `everyMs`, first after one interval (call `runOnce` at start-up for an
 * immediate pass). Runs never overlap: the next is timed from the end of the last, and `runOnce`
 * during a run resolves with that run. The timer is unref'd, so it never keeps the process alive.
 * `work` must not reject: each job logs its own failures.
 */
export interface Repeating<T> {
  runOnce(): Promise<T>;
  /** No run starts after this; a run in progress finishes. */
  stop(): void;
}

/** Node clamps longer timeouts to 1 ms (with a warning), which would turn a schedule into a loop. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function repeating<T>(what: string, everyMs: number, work: () => Promise<T>): Repeating<T> {
  if (!Number.isSafeInteger(everyMs) || everyMs < 1 || everyMs > MAX_TIMEOUT_MS) {
    throw new RangeError(`${what}: everyMs must be a whole number from 1 to ${MAX_TIMEOUT_MS}`);
  }
  let running: Promise<T> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runOnce = (): Promise<T> => {
    running ??= work().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void runOnce().then(schedule);
    }, everyMs);
    timer.unref();
  };

  schedule();
  return {
    runOnce,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** The error's class and code, never its message (it may quote personal data). */
export function errorCodeOf(error: unknown): {
  readonly error: string;
  readonly code?: string | undefined;
} {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.name, code: typeof code === 'string' ? code : undefined };
  }
  return { error: typeof error };
}
