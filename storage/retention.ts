/**
 * Retention by a scheduled clean-up, not TTL indexes: FerretDB v1 has none, SQLite neither, and a
 * clean-up that runs in the app is one that tests can run and check (storage limitation, GDPR
 * art. 5(1)(e)). Each job deletes what is past its retention and says how many it deleted.
 */
export interface RetentionJob {
  /** Names the job in logs and in runOnce's result; unique within a schedule. */
  readonly name: string;
  run(now: Date): Promise<number>;
}

type RetentionLogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** The part of the bot's logger the schedule uses (structurally the same as bot/log.ts). */
export interface RetentionLog {
  info(event: string, fields: RetentionLogFields): void;
  error(event: string, fields: RetentionLogFields): void;
}

export interface RetentionScheduleOptions {
  readonly jobs: readonly RetentionJob[];
  /** Pause between the end of one run and the start of the next. */
  readonly everyMs: number;
  readonly now: () => Date;
  readonly log: RetentionLog;
}

export interface RetentionSchedule {
  /**
   * Runs every job once, now, and resolves with how many items each deleted; a job that failed is
   * absent from the result. Never rejects. While a run is in progress (timer or another call), it
   * resolves with that run's result instead of starting a second one.
   */
  runOnce(): Promise<Record<string, number>>;
  /** No run starts after this; a run in progress finishes. */
  stop(): void;
}

/** Node clamps longer timeouts to 1 ms (with a warning), which would turn the schedule into a loop. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Runs the jobs every `everyMs`, first after one interval (call runOnce at start-up for an
 * immediate pass). Runs never overlap: the next one is timed from the end of the last. One job's
 * failure is logged (by error code, never message: it may quote personal data) and the other jobs
 * still run. The timer is unref'd, so the schedule never keeps the process alive.
 */
export function startRetentionSchedule(options: RetentionScheduleOptions): RetentionSchedule {
  const { jobs, everyMs, now, log } = options;
  if (!Number.isSafeInteger(everyMs) || everyMs < 1 || everyMs > MAX_TIMEOUT_MS) {
    throw new RangeError(`retention: everyMs must be a whole number from 1 to ${MAX_TIMEOUT_MS}`);
  }
  const names = new Set(jobs.map((job) => job.name));
  if (names.size !== jobs.length) throw new RangeError('retention: job names must be unique');

  let running: Promise<Record<string, number>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runJobs = async (): Promise<Record<string, number>> => {
    const deleted: Record<string, number> = {};
    let at: Date;
    try {
      at = now();
    } catch (error) {
      log.error('retention.run_failed', codeOf(error));
      return deleted;
    }
    for (const job of jobs) {
      const started = Date.now();
      try {
        const count = await job.run(at);
        deleted[job.name] = count;
        log.info('retention.job_done', { job: job.name, deleted: count, ms: Date.now() - started });
      } catch (error) {
        log.error('retention.job_failed', { job: job.name, ...codeOf(error) });
      }
    }
    return deleted;
  };

  const runOnce = (): Promise<Record<string, number>> => {
    running ??= runJobs().finally(() => {
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

/** The error's class and code, never its message. */
function codeOf(error: unknown): RetentionLogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.name, code: typeof code === 'string' ? code : undefined };
  }
  return { error: typeof error };
}
