import { MessageFactory } from 'botbuilder';
import { purposeOf } from '../../../consent/catalogue.js';
import { deriveStatuses, type ConsentStatus } from '../../../consent/ledger.js';
import {
  hasKantaraReceipt,
  kantaraReceipt,
  validateKantaraReceipt,
  type KantaraReceipt,
} from '../../../consent/receipts.js';
import type { Reply } from '../render.js';
import { outputHandler, type Turn } from './handler.js';

export interface ReceiptResult {
  /** Every purpose the person decided about, with the status now and since when. */
  readonly decisions: readonly {
    readonly purposeId: string;
    readonly status: ConsentStatus;
    readonly at: string;
  }[];
  /** A Kantara v1.1 receipt for each consent in effect. */
  readonly receipts: readonly { readonly purposeId: string; readonly receipt: KantaraReceipt }[];
}

/** "My receipt": the decisions in words, and each receipt as a JSON file the person can keep. */
export const receipt = outputHandler<'receipt', ReceiptResult | 'failed'>({
  act: (turn) => receiptOf(turn),
  render: ({ catalogue, locale, t }, _output, result) => {
    if (result === undefined || result === 'failed')
      return [MessageFactory.text(t('receipt.failed'))];
    if (result.decisions.length === 0) return [MessageFactory.text(t('receipt.nothing'))];
    const day = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
    const lines = result.decisions.map((decision) =>
      t('receipt.line', {
        title: purposeOf(catalogue, decision.purposeId)?.title[locale] ?? decision.purposeId,
        status: t(`status.${decision.status}`),
        date: day.format(new Date(decision.at)),
      }),
    );
    const reply: Reply = MessageFactory.text(
      [
        t('receipt.intro'),
        ...lines,
        '',
        t(result.receipts.length > 0 ? 'receipt.attached' : 'receipt.noConsent'),
      ].join('\n'),
    );
    if (result.receipts.length > 0) {
      reply.attachments = result.receipts.map(({ purposeId, receipt }) => ({
        contentType: 'application/json',
        name: `consent-receipt-${purposeId}.json`,
        content: receipt,
      }));
    }
    return [reply];
  },
});

/** The person's decisions now, and a Kantara v1.1 receipt of each consent in effect. */
async function receiptOf({ deps, facts }: Turn): Promise<ReceiptResult | 'failed'> {
  const { catalogue, ledger, controller, log } = deps;
  const subject = facts.subject;
  const statuses = deriveStatuses(catalogue, await ledger.latest(subject));
  const decisions = statuses.flatMap(({ purposeId, status, event }) =>
    event ? [{ purposeId, status, at: event.recordedAt }] : [],
  );
  const receipts = statuses.flatMap(({ purposeId, status, event }) =>
    status === 'granted' && event && hasKantaraReceipt(event)
      ? [
          {
            purposeId,
            // The ledger's pseudonym, as in the receipts the API gives: proof names no raw id.
            receipt: kantaraReceipt({
              event,
              catalogue,
              principalId: subject.userId,
              ...(controller ? { controller } : {}),
            }),
          },
        ]
      : [],
  );
  const problems = receipts.flatMap(({ receipt }) => validateKantaraReceipt(receipt));
  if (problems.length > 0) {
    // A configuration gap (controller details): an incomplete receipt is not one.
    log.error('receipt.incomplete', { problems: problems.length });
    return 'failed';
  }
  return { decisions, receipts };
}
