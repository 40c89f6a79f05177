import type { Catalogue, Locale } from './catalogue.js';
import type { PendingConfirmations } from './confirmations.js';
import {
  decisionAbout,
  type ConsentDecision,
  type ConsentEvent,
  type ConsentLedger,
  type DecisionSource,
} from './ledger.js';
import type { Subject } from './subject.js';

/** What a stop names: some purposes, or everything. */
export type StopScope = readonly string[] | 'all';

/** Where a withdrawal was said: a conversation's message, or a link in an e-mail. */
export interface WithdrawalOrigin {
  readonly locale: Locale;
  readonly channelId: string;
  readonly conversationId: string;
  readonly activityId: string;
  readonly source: Extract<DecisionSource, 'opt-out' | 'email-unsubscribe'>;
}

/**
 * The purposes a stop withdraws: those it names, or every purpose of the data map, in the data
 * map's order. Whatever their status: a purpose already refused or withdrawn is withdrawn again,
 * since the stop is the person's statement at that moment (a refusal may be asked again after a
 * pause, a withdrawal never unprompted), and every stop must move the ledger's head.
 */
export function withdrawnPurposes(catalogue: Catalogue, named: StopScope): readonly string[] {
  return catalogue.purposes.map((p) => p.id).filter((id) => named === 'all' || named.includes(id));
}

/** One `withdrawn` decision per purpose, with no notice: a stop needs none (GDPR art. 7(3)). */
export function withdrawalDecisions(
  catalogue: Catalogue,
  subject: Subject,
  purposeIds: readonly string[],
  origin: WithdrawalOrigin,
): ConsentDecision[] {
  return catalogue.purposes
    .filter((purpose) => purposeIds.includes(purpose.id))
    .map((purpose) =>
      decisionAbout(catalogue, purpose, {
        subject,
        decision: 'withdrawn',
        noticeHash: null,
        explicit: false,
        ...origin,
      }),
    );
}

export interface WithdrawalRequest {
  readonly subject: Subject;
  readonly scope: StopScope;
  readonly origin: WithdrawalOrigin;
  readonly at: Date;
}

/** What a recorded withdrawal did; `linksNotRevoked` is the error for the caller to log. */
export interface WithdrawalRecorded {
  readonly purposeIds: readonly string[];
  /**
   * Those of `purposeIds` that were given (or confirmed) just before the stop, in the ledger's
   * order: the only ones a confirmation may call withdrawn consent. The others were never agreed
   * to, or were refused or withdrawn already; the stop's event for them records that they are
   * not to be asked again, which is no withdrawal of consent.
   */
  readonly inForce: readonly string[];
  readonly events: readonly ConsentEvent[];
  readonly linksNotRevoked?: unknown;
}

/**
 * Records a withdrawal (GDPR art. 7(3)) of each purpose the stop covers, whatever its status.
 * Appended without `expectedHead` on purpose: a stop is never decided again on fresh data, it
 * holds whatever the ledger shows. Each call appends new events and so moves the head, which
 * makes a decision made concurrently on the view before the stop (a "yes" on another server,
 * appended with `expectedHead`) conflict and be decided again instead of landing after it.
 * Resolves only once the events are durable, and only if the ledger shows a withdrawal of every
 * purpose: never confirm what the ledger does not hold.
 *
 * Then revokes the pending double opt-in links of those purposes. That comes second and cannot
 * fail the stop: a link that survives is refused anyway when it is opened (it no longer finds a
 * pending consent).
 */
export async function recordWithdrawal(
  ledger: Pick<ConsentLedger, 'append' | 'history'>,
  confirmations: Pick<PendingConfirmations, 'deleteForSubject'>,
  catalogue: Catalogue,
  request: WithdrawalRequest,
): Promise<WithdrawalRecorded> {
  const { subject, scope, origin, at } = request;
  const purposeIds = withdrawnPurposes(catalogue, scope);
  const decisions = withdrawalDecisions(catalogue, subject, purposeIds, origin);
  const events = await ledger.append(decisions, at);
  const shown = new Set(events.filter((e) => e.decision === 'withdrawn').map((e) => e.purposeId));
  if (decisions.some((d) => !shown.has(d.purposeId))) {
    throw new Error('the ledger does not show the withdrawal it was given');
  }
  const inForce = inForceBefore(await ledger.history(subject), events);
  try {
    await confirmations.deleteForSubject(subject, purposeIds);
    return { purposeIds, inForce, events };
  } catch (error) {
    return { purposeIds, inForce, events, linksNotRevoked: error };
  }
}

/**
 * The purposes whose event just before the stop's own (by sequence number) was a consent: read
 * after the append, so a decision landing concurrently is judged in the order the ledger holds.
 */
function inForceBefore(
  history: readonly ConsentEvent[],
  stop: readonly ConsentEvent[],
): readonly string[] {
  return stop
    .filter((withdrawal) => {
      const before = history
        .filter((e) => e.purposeId === withdrawal.purposeId && e.seq < withdrawal.seq)
        .reduce<ConsentEvent | undefined>(
          (last, e) => (last && last.seq > e.seq ? last : e),
          undefined,
        );
      return before?.decision === 'given' || before?.decision === 'confirmed';
    })
    .map((withdrawal) => withdrawal.purposeId);
}
