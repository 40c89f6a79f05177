import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CheckpointReader } from '../../consent/checkpoint.js';
import { openMemoryStores } from '../../storage/stores.js';
import { compareUtf8 } from '../../storage/transcript-rules.js';
import { seedManyEvents } from '../../test/compliance-fixture.js';
import { temporaryFolder } from '../../test/harness.js';
import { recordingLog, startServer } from '../../test/http-harness.js';
import { checkpointFileName, startCheckpointSchedule } from './checkpoint-schedule.js';
import { loadConfig } from '../platform/config.js';
import { verifyLedger } from './ledger-verification.js';

const entries = (dir: string): string[] => readdirSync(dir).sort();

describe('scheduled checkpoints', () => {
  it('names files by UTC time, in time order, marking a walk that found problems', () => {
    expect(checkpointFileName(new Date('2026-12-02T09:05:07.123Z'), 0)).toBe(
      'ledger-2026-12-02T09-05-07.123Z.checkpoint',
    );
    expect(checkpointFileName(new Date('2026-12-02T09:05:07.123Z'), 2)).toBe(
      'ledger-2026-12-02T09-05-07.123Z.problems.checkpoint',
    );
  });

  it('logs a failed run by its class and code only, leaves no file, and keeps running', async () => {
    const folder = temporaryFolder('consent-bot-checkpoint-job-');
    const stores = openMemoryStores();
    await seedManyEvents(stores.ledger, 3, 1);
    const log = recordingLog();
    let calls = 0;
    const schedule = startCheckpointSchedule({
      dir: folder.path,
      everyMs: 10,
      now: () => new Date(),
      log,
      verify: (anchoring) => {
        calls += 1;
        if (calls === 1) {
          return Promise.reject(
            Object.assign(new Error('mongodb://user:password@db failed'), { code: 'ECONNRESET' }),
          );
        }
        return verifyLedger(stores.ledger, {}, anchoring);
      },
    });
    try {
      await vi.waitFor(
        () => {
          expect(entries(folder.path).filter((n) => n.endsWith('.checkpoint'))).not.toEqual([]);
        },
        { timeout: 5000 },
      );
    } finally {
      schedule.stop();
    }
    await schedule.runOnce();
    const lines = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toEqual({
      level: 'error',
      event: 'checkpoint.failed',
      error: 'Error',
      code: 'ECONNRESET',
    });
    expect(log.lines.join('\n')).not.toContain('password');
    expect(lines[1]).toMatchObject({ event: 'checkpoint.written', subjects: 3, problems: 0 });
    // No partial file left behind by the failed run, nor by any other.
    expect(entries(folder.path).every((name) => name.endsWith('.checkpoint'))).toBe(true);
    const file = join(folder.path, entries(folder.path)[0]!);
    const reader = new CheckpointReader(
      readFileSync(file, 'utf8').trimEnd().split('\n'),
      compareUtf8,
    );
    const heads = [];
    for await (const head of reader.heads()) heads.push(head);
    expect(heads).toHaveLength(3);
    expect(reader.trailer).toMatchObject({ subjects: 3, events: 3, problems: 0 });
    folder.remove();
  });

  it('logs an error when the checkpoint it wrote last has disappeared', async () => {
    const folder = temporaryFolder('consent-bot-checkpoint-job-');
    const stores = openMemoryStores();
    await seedManyEvents(stores.ledger, 2, 1);
    const log = recordingLog();
    const schedule = startCheckpointSchedule({
      dir: folder.path,
      everyMs: 3_600_000,
      now: () => new Date(),
      log,
      verify: (anchoring) => verifyLedger(stores.ledger, {}, anchoring),
    });
    try {
      const first = await schedule.runOnce();
      expect(first?.against).toBeUndefined();
      rmSync(first!.checkpoint.file);
      const second = await schedule.runOnce();
      expect(second?.against).toBeUndefined();
      const missing = log.lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.event === 'checkpoint.anchor_missing');
      expect(missing).toEqual([
        {
          level: 'error',
          event: 'checkpoint.anchor_missing',
          file: basename(first!.checkpoint.file),
        },
      ]);
      // The next run checks against the second one: no more alarm about the first.
      const third = await schedule.runOnce();
      expect(third?.against).toBe(basename(second!.checkpoint.file));
      expect(log.lines.filter((line) => line.includes('anchor_missing'))).toHaveLength(1);
    } finally {
      schedule.stop();
      folder.remove();
    }
  });

  it('never runs twice at once', async () => {
    const folder = temporaryFolder('consent-bot-checkpoint-job-');
    const stores = openMemoryStores();
    let calls = 0;
    const schedule = startCheckpointSchedule({
      dir: folder.path,
      everyMs: 3_600_000,
      now: () => new Date(),
      log: recordingLog(),
      verify: async (anchoring) => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return verifyLedger(stores.ledger, {}, anchoring);
      },
    });
    const [a, b] = await Promise.all([schedule.runOnce(), schedule.runOnce()]);
    schedule.stop();
    expect(calls).toBe(1);
    expect(a).toBe(b);
    folder.remove();
  });

  it('is configured by CHECKPOINT_DIR and CHECKPOINT_INTERVAL_HOURS, and off without a folder', async () => {
    expect(loadConfig({}).CHECKPOINT_DIR).toBeUndefined();
    expect(loadConfig({}).CHECKPOINT_INTERVAL_HOURS).toBe(24);
    expect(isAbsolute(loadConfig({ CHECKPOINT_DIR: 'anchors' }).CHECKPOINT_DIR ?? '')).toBe(true);
    expect(() => loadConfig({ CHECKPOINT_INTERVAL_HOURS: '0' })).toThrow(
      /CHECKPOINT_INTERVAL_HOURS/,
    );

    const without = await startServer();
    try {
      expect(without.app.checkpoints).toBeUndefined();
    } finally {
      await without.close();
    }

    const kept = temporaryFolder('consent-bot-checkpoint-dir-');
    const running = await startServer({
      CHECKPOINT_DIR: kept.path,
      CHECKPOINT_INTERVAL_HOURS: '1',
    });
    try {
      const run = await running.app.checkpoints?.runOnce();
      expect(run?.report.intact).toBe(true);
      expect(entries(kept.path)).toEqual([run?.checkpoint.file.slice(kept.path.length + 1)]);
    } finally {
      await running.close();
      kept.remove();
    }
  });
});
