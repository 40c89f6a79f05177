import { errorCodeOf, repeating } from './repeating.js';
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

/** The part of the bot's logger the schedule uses (structurally the same as bot/platform/log.ts). */
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

/**
 * Runs the jobs every `everyMs` (storage/repeating.ts: never overlapping, never keeping the
 * process alive). One job's failure is logged (by error code, never message: it may quote
 * personal data) and the other jobs still run.
 */
export function startRetentionSchedule(options: RetentionScheduleOptions): RetentionSchedule {
  const { jobs, everyMs, now, log } = options;
  const names = new Set(jobs.map((job) => job.name));
  if (names.size !== jobs.length) throw new RangeError('retention: job names must be unique');

  const runJobs = async (): Promise<Record<string, number>> => {
    const deleted: Record<string, number> = {};
    let at: Date;
    try {
      at = now();
    } catch (error) {
      log.error('retention.run_failed', errorCodeOf(error));
      return deleted;
    }
    for (const job of jobs) {
      const started = Date.now();
      try {
        const count = await job.run(at);
        deleted[job.name] = count;
        log.info('retention.job_done', { job: job.name, deleted: count, ms: Date.now() - started });
      } catch (error) {
        log.error('retention.job_failed', { job: job.name, ...errorCodeOf(error) });
      }
    }
    return deleted;
  };

  return repeating('retention', everyMs, runJobs);
}
