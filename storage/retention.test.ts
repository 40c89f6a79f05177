import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pendingConfirmationOf, type PendingConfirmation } from '../consent/confirmations.js';
import { MemoryPendingConfirmations } from './memory/memory-pending-confirmations.js';
import { startRetentionSchedule, type RetentionJob, type RetentionSchedule } from './retention.js';

const NOW = new Date('2026-11-02T09:30:00.000Z');
const HOUR = 60 * 60 * 1000;
const EVERY = 10 * 60 * 1000;

/** A logger that keeps what it was told. */
function recordingLog() {
  const lines: { level: 'info' | 'error'; event: string; fields: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (event: string, fields: Record<string, unknown>) =>
      lines.push({ level: 'info', event, fields }),
    error: (event: string, fields: Record<string, unknown>) =>
      lines.push({ level: 'error', event, fields }),
  };
}

/** A job that counts its runs and, while `gate` is set, waits on it. */
function countingJob(name: string, deleted = 0) {
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  const job = {
    name,
    runs: [] as Date[],
    active: 0,
    maxActive: 0,
    async run(now: Date): Promise<number> {
      job.runs.push(now);
      job.active += 1;
      job.maxActive = Math.max(job.maxActive, job.active);
      try {
        if (gate) await gate;
        return deleted;
      } finally {
        job.active -= 1;
      }
    },
    hold() {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      gate = undefined;
      open();
    },
  };
  return job;
}

const schedules: RetentionSchedule[] = [];
function start(jobs: RetentionJob[], log = recordingLog(), now = () => NOW) {
  const schedule = startRetentionSchedule({ jobs, everyMs: EVERY, now, log });
  schedules.push(schedule);
  return schedule;
}

afterEach(() => {
  for (const schedule of schedules.splice(0)) schedule.stop();
});

describe('startRetentionSchedule: runOnce', () => {
  it('takes out expired pending confirmations, hands them to the job, and keeps live ones', async () => {
    const confirmations = new MemoryPendingConfirmations();
    const subject = { channelId: 'webchat', userId: 'jane' };
    const make = (createdAgoMs: number) =>
      pendingConfirmationOf(
        { subject, purposeId: 'newsletter', email: 'jane@example.com', locale: 'en' },
        new Date(NOW.getTime() - createdAgoMs),
      ).confirmation;
    const expired = [make(49 * HOUR), make(72 * HOUR)];
    const live = [make(47 * HOUR), make(0)];
    for (const c of [...expired, ...live]) await confirmations.create(c);

    const log = recordingLog();
    // What the app does with them: each becomes an `expired` event in the ledger.
    const handedOver: PendingConfirmation[] = [];
    const schedule = start(
      [
        {
          name: 'pending-confirmations',
          run: async (now) => {
            const taken = await confirmations.takeExpired(now);
            handedOver.push(...taken);
            return taken.length;
          },
        },
      ],
      log,
    );
    expect(await schedule.runOnce()).toEqual({ 'pending-confirmations': 2 });
    expect(handedOver).toEqual([expired[1], expired[0]]);
    for (const c of expired)
      expect(await confirmations.consume(c.tokenHash, new Date(0))).toBeUndefined();
    for (const c of live) expect(await confirmations.consume(c.tokenHash, NOW)).toEqual(c);
    expect(await schedule.runOnce()).toEqual({ 'pending-confirmations': 0 });
    expect(log.lines[0]).toMatchObject({
      level: 'info',
      event: 'retention.job_done',
      fields: { job: 'pending-confirmations', deleted: 2 },
    });
  });

  it('runs every job with the same now, even after one fails, and logs the failure by code only', async () => {
    const before = countingJob('transcripts', 3);
    const after = countingJob('pending-confirmations', 5);
    const secret = 'jane@example.com could not be deleted';
    const failing: RetentionJob = {
      name: 'broken',
      run: () => Promise.reject(Object.assign(new Error(secret), { code: 'STORE_UNAVAILABLE' })),
    };
    const throwing: RetentionJob = {
      name: 'throws-synchronously',
      run: () => {
        throw new TypeError(secret);
      },
    };
    const log = recordingLog();
    const schedule = start([before, failing, throwing, after], log);
    expect(await schedule.runOnce()).toEqual({ transcripts: 3, 'pending-confirmations': 5 });
    expect(before.runs).toEqual([NOW]);
    expect(after.runs).toEqual([NOW]);
    const errors = log.lines.filter((line) => line.level === 'error');
    expect(errors).toEqual([
      {
        level: 'error',
        event: 'retention.job_failed',
        fields: { job: 'broken', error: 'Error', code: 'STORE_UNAVAILABLE' },
      },
      {
        level: 'error',
        event: 'retention.job_failed',
        fields: { job: 'throws-synchronously', error: 'TypeError', code: undefined },
      },
    ]);
    expect(JSON.stringify(log.lines)).not.toContain('jane');
  });

  it('shares a run in progress instead of starting a second one', async () => {
    const job = countingJob('slow');
    job.hold();
    const schedule = start([job]);
    const first = schedule.runOnce();
    const second = schedule.runOnce();
    await vi.waitFor(() => {
      expect(job.runs).toHaveLength(1);
    });
    job.release();
    expect(await first).toEqual({ slow: 0 });
    expect(await second).toEqual({ slow: 0 });
    expect(job.maxActive).toBe(1);
    await schedule.runOnce();
    expect(job.runs).toHaveLength(2);
  });

  it('refuses a bad interval and duplicate job names', () => {
    const log = recordingLog();
    const job = countingJob('a');
    for (const everyMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => startRetentionSchedule({ jobs: [job], everyMs, now: () => NOW, log })).toThrow(
        RangeError,
      );
    }
    expect(() =>
      startRetentionSchedule({
        jobs: [job, countingJob('a')],
        everyMs: EVERY,
        now: () => NOW,
        log,
      }),
    ).toThrow(RangeError);
  });
});

describe('startRetentionSchedule: on its timer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every interval, first one interval after start, with the clock of each run', async () => {
    const job = countingJob('job');
    let clock = NOW.getTime();
    start([job], recordingLog(), () => new Date(clock));
    await vi.advanceTimersByTimeAsync(EVERY - 1);
    expect(job.runs).toHaveLength(0);
    clock += HOUR;
    await vi.advanceTimersByTimeAsync(1);
    expect(job.runs.map((d) => d.toISOString())).toEqual(['2026-11-02T10:30:00.000Z']);
    await vi.advanceTimersByTimeAsync(2 * EVERY);
    expect(job.runs).toHaveLength(3);
  });

  it('never overlaps runs when one is slower than the interval', async () => {
    const job = countingJob('slow');
    start([job]);
    job.hold();
    await vi.advanceTimersByTimeAsync(EVERY);
    expect(job.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10 * EVERY);
    expect(job.runs).toHaveLength(1);
    expect(job.active).toBe(1);
    job.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(job.active).toBe(0);
    // The next run is timed from the end of the slow one.
    await vi.advanceTimersByTimeAsync(EVERY - 1);
    expect(job.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(job.runs).toHaveLength(2);
    expect(job.maxActive).toBe(1);
  });

  it('keeps running after a run in which every job failed', async () => {
    let calls = 0;
    const failing: RetentionJob = {
      name: 'failing',
      run: () => {
        calls += 1;
        return Promise.reject(new Error('down'));
      },
    };
    start([failing]);
    await vi.advanceTimersByTimeAsync(3 * EVERY);
    expect(calls).toBe(3);
  });

  it('runs nothing more after stop(), and lets a run in progress finish', async () => {
    const job = countingJob('job', 1);
    const schedule = start([job]);
    await vi.advanceTimersByTimeAsync(EVERY);
    expect(job.runs).toHaveLength(1);
    schedule.stop();
    await vi.advanceTimersByTimeAsync(10 * EVERY);
    expect(job.runs).toHaveLength(1);

    const other = countingJob('other', 1);
    const stopping = start([other]);
    other.hold();
    await vi.advanceTimersByTimeAsync(EVERY);
    const inProgress = stopping.runOnce();
    stopping.stop();
    other.release();
    expect(await inProgress).toEqual({ other: 1 });
    await vi.advanceTimersByTimeAsync(10 * EVERY);
    expect(other.runs).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('startRetentionSchedule: process lifetime', () => {
  it('never keeps the process alive', async () => {
    const module = new URL('./retention.ts', import.meta.url).href;
    const script = `
      import { startRetentionSchedule } from ${JSON.stringify(module)};
      startRetentionSchedule({
        jobs: [{ name: 'job', run: async () => 0 }],
        everyMs: 60 * 60 * 1000,
        now: () => new Date(),
        log: { info() {}, error() {} },
      });
      console.log('scheduled');
    `;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('scheduled');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
