import { access, mkdir, readdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CheckpointHead } from '../../consent/checkpoint.js';
import { createCheckpoint, openCheckpoint, type CheckpointSummary } from './checkpoint-files.js';
import type { VerificationOptions, VerificationReport } from './ledger-verification.js';
import type { LogFields } from '../platform/log.js';
import { errorCodeOf, repeating } from '../../storage/repeating.js';

/**
 * Checkpoints taken on a timer. A hash chain cannot show events cut from its end, nor a whole
 * person's chain deleted; a checkpoint can, but only if someone took one before and checks
 * against it (GDPR art. 5(2): the controller must be able to demonstrate compliance, not only
 * when someone remembered to run a command). Each run walks the whole store once: it checks it
 * against the last checkpoint of CHECKPOINT_DIR that found the store intact, and writes a new one
 * of the store as walked.
 *
 * Checking against the last intact checkpoint rather than the latest: after a deletion, the next
 * checkpoint anchors the store without the deleted person, and checking against it would report
 * the deletion once and never again. So a checkpoint whose walk found problems is named
 * `*.problems.checkpoint`; every run keeps reporting against the intact one before it until an
 * operator, having dealt with the incident, renames the latest one to drop `.problems`.
 *
 * CHECKPOINT_DIR must be out of reach of whoever can write to the database (another host, WORM
 * storage): whoever can delete checkpoints can hide a deletion from them.
 */

/** `ledger-2026-12-02T10-30-00.000Z.checkpoint`: UTC, sorts in time order, valid on every OS. */
const NAME = /^ledger-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z(\.problems)?\.checkpoint$/;

export function checkpointFileName(at: Date, problems: number): string {
  const stamp = at.toISOString().replaceAll(':', '-');
  return `ledger-${stamp}${problems > 0 ? '.problems' : ''}.checkpoint`;
}

/** The part of the bot's logger the schedule uses. */
export interface CheckpointLog {
  info(event: string, fields: LogFields): void;
  error(event: string, fields: LogFields): void;
}

export interface CheckpointScheduleOptions {
  readonly dir: string;
  /** Pause between the end of one run and the start of the next. */
  readonly everyMs: number;
  readonly now: () => Date;
  readonly log: CheckpointLog;
  /** The whole-store verification walk (bot/proof/ledger-verification.ts), with these added. */
  readonly verify: (
    options: Pick<VerificationOptions, 'against' | 'againstSealed' | 'onHead'>,
  ) => Promise<VerificationReport>;
}

export interface CheckpointRun {
  readonly report: VerificationReport;
  readonly checkpoint: CheckpointSummary;
  /** The checkpoint the store was checked against, if any. */
  readonly against?: string;
}

export interface CheckpointSchedule {
  /**
   * Takes a checkpoint now, resolving with it, or undefined when the run failed (logged). Never
   * rejects. While a run is in progress, resolves with that run instead of starting another.
   */
  runOnce(): Promise<CheckpointRun | undefined>;
  /** No run starts after this; a run in progress finishes. */
  stop(): void;
}

/** The newest checkpoint of the folder whose walk found the store intact, if any. */
async function lastIntact(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir)).filter((name) => NAME.test(name)).sort();
  const intact = names.filter((name) => !name.endsWith('.problems.checkpoint'));
  const last = intact.at(-1);
  return last === undefined ? undefined : join(dir, last);
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** How many problems of each kind: `forged:3,subject-missing:1`. Kinds only, never who. */
function kindsOf(report: VerificationReport): string {
  const counts = new Map<string, number>();
  for (const problem of report.problems) {
    counts.set(problem.kind, (counts.get(problem.kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => `${kind}:${count}`).join(',');
}

/**
 * Runs every `everyMs`, first after one interval (call runOnce at start-up for an immediate
 * checkpoint). Runs never overlap; a failed run is logged by error class and code (never its
 * message, which may quote a path or a driver's URI) and the schedule goes on. The timer is
 * unref'd, so the schedule never keeps the process alive.
 */
export function startCheckpointSchedule(options: CheckpointScheduleOptions): CheckpointSchedule {
  const { dir, everyMs, now, log, verify } = options;
  /** The last intact checkpoint this process wrote: its disappearance is itself an alarm. */
  let lastWritten: string | undefined;
  const run = async (): Promise<CheckpointRun> => {
    const started = Date.now();
    const at = now();
    await mkdir(dir, { recursive: true });
    const againstFile = await lastIntact(dir);
    if (lastWritten !== undefined && !(await exists(lastWritten))) {
      // Deleting the checkpoints would make the next run start afresh, the deletion unseen.
      log.error('checkpoint.anchor_missing', {
        file: basename(lastWritten),
        against: againstFile ? basename(againstFile) : undefined,
      });
    }
    // Written under a temporary name, renamed to its final one once complete: a crashed run
    // never leaves what looks like a checkpoint cut short. Renamed only to a name not taken, so
    // no checkpoint is overwritten (runs never overlap; names carry the millisecond). A rename,
    // not a hard link: network and object-store mounts often have no links.
    const partial = join(dir, `.${checkpointFileName(at, 0)}.partial`);
    const output = await createCheckpoint(partial, at);
    let anchor: Awaited<ReturnType<typeof openCheckpoint>> | undefined;
    try {
      // An intact checkpoint that cannot be read or trusted fails the run (CheckpointError in the
      // log) at every run, until an operator looks: it is never quietly skipped.
      anchor = againstFile ? await openCheckpoint(againstFile) : undefined;
      const report = await verify({
        ...(anchor
          ? {
              against: anchor.reader.heads(),
              againstSealed: () => anchor?.reader.header?.sealed === true,
            }
          : {}),
        onHead: (head: CheckpointHead, events: number) => output.head(head, events),
      });
      const sealed = await output.seal(report.problemCount);
      const file = join(dir, checkpointFileName(at, report.problemCount));
      if (await exists(file)) {
        throw Object.assign(new Error('checkpoint file exists'), { code: 'EEXIST' });
      }
      await rename(partial, file);
      const checkpoint = { ...sealed, file };
      if (report.intact) lastWritten = file;
      const against = againstFile ? basename(againstFile) : undefined;
      log.info('checkpoint.written', {
        file: basename(file),
        digest: checkpoint.digest,
        subjects: checkpoint.subjects,
        events: checkpoint.events,
        problems: report.problemCount,
        against,
        ms: Date.now() - started,
      });
      if (!report.intact) {
        log.error('checkpoint.ledger_not_intact', {
          problems: report.problemCount,
          kinds: kindsOf(report),
          against,
          hint: 'npm run verify -- --against <the intact checkpoint> names each problem',
        });
      }
      return { report, checkpoint, ...(against ? { against } : {}) };
    } catch (error) {
      await output.discard();
      throw error;
    } finally {
      await anchor?.handle.close();
    }
  };

  return repeating('checkpoints', everyMs, () =>
    run().catch((error: unknown) => {
      log.error('checkpoint.failed', errorCodeOf(error));
      return undefined;
    }),
  );
}
