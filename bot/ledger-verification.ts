import { verifyChain, type ChainProblemKind } from '../consent/chain.js';
import type { ConsentEvent, ConsentLedger, LedgerQuery, LedgerSearch } from '../consent/ledger.js';
import { subjectKey } from '../consent/subject.js';

/**
 * Verification of the whole ledger, or of a window of it (issue 5): every subject's hash chain,
 * walked subject by subject so that memory holds one person's events at a time, however large
 * the ledger. What it cannot see: events removed from the END of a chain leave no trace in the
 * chain itself (nothing points forward); only a copy kept elsewhere (a backup, an anchored digest
 * of the latest hashes) shows that.
 */
export interface VerificationProblem {
  /** The pseudonymous subject key (`channelId|p:...`): where the chain breaks. */
  readonly subject: string;
  /** A chain problem (consent/chain.ts), or a kind a checker reports. */
  readonly kind: ChainProblemKind | (string & {});
  readonly seq: number;
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
  /** How many problems to list (all are counted); 1000 by default. */
  readonly maxProblems?: number;
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
  const maxProblems = options.maxProblems ?? 1000;
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
    for (const problem of verifyChain(walked)) {
      if (problem.eventId !== predecessor?.id) report({ subject, ...problem });
    }
    if (options.checkEvent) {
      for (const event of chain) {
        for (const kind of await options.checkEvent(event)) {
          report({ subject, kind, seq: event.seq, eventId: event.id });
        }
      }
    }
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
  return {
    scope: scopeOf(query),
    subjects,
    events,
    intact: problemCount === 0,
    problems,
    problemCount,
  };
}
