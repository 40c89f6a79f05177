import { verifyChain, type ChainProblemKind } from '../../consent/chain.js';
import {
  AnchorJoin,
  type AnchorProblemKind,
  type CheckpointHead,
} from '../../consent/checkpoint.js';
import type {
  ConsentEvent,
  ConsentLedger,
  LedgerQuery,
  LedgerSearch,
} from '../../consent/ledger.js';
import { subjectKey } from '../../consent/subject.js';
import { compareUtf8 } from '../../storage/transcript-rules.js';

/**
 * Verification of the whole ledger, or of a window of it: every subject's hash chain,
 * walked subject by subject so that memory holds one person's events at a time, however large
 * the ledger. What chains cannot show: events removed from the END of a chain, or a whole chain,
 * leave no trace (nothing points forward); a checkpoint (consent/checkpoint.ts) kept elsewhere
 * does, through `against`.
 */
export interface VerificationProblem {
  /** The pseudonymous subject key (`channelId|p:...`): where the chain breaks. */
  readonly subject: string;
  /**
   * A chain problem (consent/chain.ts), a disagreement with the checkpoint checked against
   * (consent/checkpoint.ts), or a kind a checker reports.
   */
  readonly kind: ChainProblemKind | AnchorProblemKind | (string & {});
  /** The event's seq; for a checkpoint disagreement, the checkpoint's lastSeq. */
  readonly seq: number;
  /** The event's id; for a checkpoint disagreement, the store's event at that seq, or ''. */
  readonly eventId: string;
}

/**
 * An extra check of each event, run in the same walk (e.g. that the transcript an event names
 * still has the digest it carries). Returns the kinds of problems found, none when sound.
 */
export type EventCheck = (event: ConsentEvent) => Promise<readonly string[]> | readonly string[];

/** What is verified: a subject, a window of recording time, or the whole store. */
export type VerificationScope = 'store' | 'range' | 'subject';

/** Only whole chains or a time window can be verified: other filters would leave gaps. */
export type VerificationQuery = Pick<LedgerQuery, 'subject' | 'channelId' | 'from' | 'to'>;

export interface VerificationReport {
  readonly scope: VerificationScope;
  readonly subjects: number;
  readonly events: number;
  readonly intact: boolean;
  /** The first `maxProblems` problems, in walk order. */
  readonly problems: readonly VerificationProblem[];
  /** Every problem found, also those beyond `maxProblems`. */
  readonly problemCount: number;
}

export interface VerificationOptions {
  readonly checkEvent?: EventCheck;
  /**
   * The ledger seal key (bot/platform/secrets.ts): every sealed event's seal is checked, so an event
   * rewritten with its chain recomputed is named `forged`, and stripped seals `unsealed`.
   */
  readonly sealKey?: Buffer;
  /** How many problems to list (all are counted); 1000 by default. */
  readonly maxProblems?: number;
  /**
   * A checkpoint's heads in subject key order (CheckpointReader.heads): each chain is also checked
   * against its anchored head, and anchored subjects without events now are reported. Whole
   * store only: a window or one subject would make every other anchored subject look missing.
   */
  readonly against?: AsyncIterable<CheckpointHead>;
  /**
   * Whether the checkpoint checked against is `sealed` (CheckpointReader.header), asked once its
   * header was read: then every event after its heads, and in chains new since, must be sealed.
   */
  readonly againstSealed?: () => boolean;
  /** Told each chain's head as walked, in subject key order, to write a checkpoint. */
  readonly onHead?: (head: CheckpointHead, events: number) => Promise<void> | void;
}

export function scopeOf(query: VerificationQuery): VerificationScope {
  if (query.subject) return 'subject';
  return query.from || query.to ? 'range' : 'store';
}

export async function verifyLedger(
  ledger: ConsentLedger & LedgerSearch,
  query: VerificationQuery,
  options: VerificationOptions = {},
): Promise<VerificationReport> {
  const scope = scopeOf(query);
  if ((options.against || options.onHead) && (scope !== 'store' || query.channelId)) {
    throw new RangeError('checkpoints cover the whole store: no window, channel or subject');
  }
  const maxProblems = options.maxProblems ?? 1000;
  // Chain-order scans return subject keys in UTF-8 byte order on every backend.
  const join = options.against
    ? new AnchorJoin(options.against, compareUtf8, options.againstSealed)
    : undefined;
  const problems: VerificationProblem[] = [];
  let problemCount = 0;
  let subjects = 0;
  let events = 0;
  const report = (problem: VerificationProblem): void => {
    problemCount += 1;
    if (problems.length < maxProblems) problems.push(problem);
  };

  const verifySubject = async (chain: readonly ConsentEvent[]): Promise<void> => {
    const first = chain[0];
    if (!first) return;
    subjects += 1;
    events += chain.length;
    const subject = subjectKey(first.subject);
    // A window starts mid-chain: its first event must still point at the one before the window,
    // or a link broken exactly at the window's edge would go unseen.
    const predecessor =
      query.from && first.seq > 1
        ? (await ledger.history(first.subject)).find((e) => e.seq === first.seq - 1)
        : undefined;
    const walked = predecessor ? [predecessor, ...chain] : chain;
    const chainOptions = options.sealKey ? { sealKey: options.sealKey } : {};
    for (const problem of verifyChain(walked, chainOptions)) {
      if (problem.eventId !== predecessor?.id) report({ subject, ...problem });
    }
    if (options.checkEvent) {
      for (const event of chain) {
        for (const kind of await options.checkEvent(event)) {
          report({ subject, kind, seq: event.seq, eventId: event.id });
        }
      }
    }
    if (join) for await (const finding of join.visit(subject, chain)) report(finding);
    const last = chain.at(-1) ?? first;
    await options.onHead?.([subject, last.seq, last.hash], chain.length);
  };

  let current: ConsentEvent[] = [];
  let currentKey: string | undefined;
  for await (const event of ledger.scan(query, 'chain')) {
    const key = subjectKey(event.subject);
    if (key !== currentKey) {
      await verifySubject(current);
      current = [];
      currentKey = key;
    }
    current.push(event);
  }
  await verifySubject(current);
  if (join) for await (const finding of join.finish()) report(finding);
  return {
    scope,
    subjects,
    events,
    intact: problemCount === 0,
    problems,
    problemCount,
  };
}
