import type { Catalogue, Locale } from '../../consent/catalogue.js';
import type { PendingConfirmations } from '../../consent/confirmations.js';
import {
  decisionAbout,
  type ConsentEvent,
  type ConsentLedger,
  type DecisionSource,
} from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import { errorFields, type Logger } from '../platform/log.js';

export interface WithdrawalDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly confirmations: Pick<PendingConfirmations, 'deleteForSubject'>;
  readonly log: Logger;
}

/** Where a withdrawal was said: a conversation's message, or a link in an e-mail. */
export interface WithdrawalOrigin {
  readonly locale: Locale;
  readonly channelId: string;
  readonly conversationId: string;
  readonly activityId: string;
  readonly source: Extract<DecisionSource, 'opt-out' | 'email-unsubscribe'>;
}

/** The purposes a stop covers: those it names, or every purpose of the data map. */
export function withdrawnPurposes(
  catalogue: Catalogue,
  named: readonly string[] | 'all',
): readonly string[] {
  return catalogue.purposes.map((p) => p.id).filter((id) => named === 'all' || named.includes(id));
}

/**
 * Records a withdrawal (GDPR art. 7(3)) of each purpose given, whatever its status: a purpose
 * already off gets a fresh `withdrawn` event too. That event is the person's statement at that
 * moment, and it moves the ledger's head, so a decision made concurrently on the view before the
 * stop (a "yes" on another server, appended with `expectedHead`) conflicts and is decided again
 * instead of landing after it. Resolves with the events only once they are durable, and only if
 * the ledger shows a withdrawal of every purpose: never confirm what the ledger does not hold.
 *
 * Then revokes the pending double opt-in links of those purposes. That comes second and cannot
 * fail the stop: a link that survives is refused anyway when it is opened (it no longer finds a
 * pending consent).
 */
export async function recordWithdrawal(
  deps: WithdrawalDeps,
  subject: Subject,
  purposeIds: readonly string[],
  origin: WithdrawalOrigin,
  at: Date,
): Promise<readonly ConsentEvent[]> {
  const { catalogue, ledger, confirmations, log } = deps;
  const decisions = catalogue.purposes
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
  const events = await ledger.append(decisions, at);
  const shown = new Set(events.filter((e) => e.decision === 'withdrawn').map((e) => e.purposeId));
  if (decisions.some((d) => !shown.has(d.purposeId))) {
    throw new Error('the ledger does not show the withdrawal it was given');
  }
  try {
    await confirmations.deleteForSubject(subject, purposeIds);
  } catch (error) {
    log.error('opt_out.links_not_revoked', errorFields(error));
  }
  return events;
}
