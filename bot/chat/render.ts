import { ActionTypes, MessageFactory, type Activity, type CardAction } from 'botbuilder';
import {
  categoryOf,
  purposeOf,
  sensitivityOf,
  type Catalogue,
  type Locale,
  type Purpose,
} from '../../consent/catalogue.js';
import type { ConsentStatus, NoticeRecord, PurposeStatus } from '../../consent/ledger.js';
import type { KantaraReceipt } from '../../consent/receipts.js';
import { noticeHash } from '../../consent/notice.js';
import { OPT_OUT_REASONS, type QuestionTopic } from '../../dialogs/events.js';
import type { AskStep, ConversationOutput } from '../../dialogs/outputs.js';
import { listOf, type Translate } from '../platform/i18n.js';

/** Everything the renderer reads; statuses are fetched only when a message needs them. */
export interface RenderInput {
  readonly catalogue: Catalogue;
  readonly locale: Locale;
  readonly t: Translate;
  readonly statuses: () => Promise<readonly PurposeStatus[]>;
  /** What the turn's effects came to, for the messages that report them. */
  readonly results?: TurnResults;
  /** How long a confirmation link works, to say so. */
  readonly confirmationHours?: number;
}

/** Outcomes of a turn's effects, carried out before rendering. */
export interface TurnResults {
  /** Per purpose: the (masked) address a confirmation link went to, or 'failed'. */
  readonly mail?: Readonly<Record<string, string>>;
  /** What an erasure did, already in words; absent when it failed. */
  readonly erasure?: string;
  /** A person's data: a short summary for the chat and the full export as JSON. */
  readonly export?: { readonly summary: string; readonly json: unknown };
  /** The person's decisions and the receipts of their consents; 'failed' when unavailable. */
  readonly receipt?: ReceiptResult | 'failed';
  /** Bot Framework's `handoff.initiate` event for the channel, sent before telling the person. */
  readonly handoff?: Partial<Activity>;
  /** The `handoff.status` event that reports an agent's hand-off as completed. */
  readonly handoffStatus?: Partial<Activity>;
}

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

type Reply = Partial<Activity>;

function dataLabels(catalogue: Catalogue, purpose: Purpose, locale: Locale): string {
  const labels = purpose.dataCategories.map((id) => categoryOf(catalogue, id)?.label[locale] ?? id);
  return listOf(locale, labels);
}

/**
 * The exact text that presents a purpose before a decision. It is both what the person reads and
 * what the ledger's hash points to, so the two can never differ (GDPR art. 7(1)).
 */
export function purposeNotice(
  input: Pick<RenderInput, 'catalogue' | 'locale' | 't'>,
  purposeId: string,
  step: AskStep,
): NoticeRecord | undefined {
  const { catalogue, locale, t } = input;
  const purpose = purposeOf(catalogue, purposeId);
  // Asking for an address presents nothing new: the notice was the question before it.
  if (!purpose || step === 'address') return undefined;
  const text =
    step === 'explicit'
      ? t('purpose.askExplicit', {
          title: purpose.title[locale],
          data: dataLabels(catalogue, purpose, locale),
          sensitivity: t(`sensitivity.${sensitivityOf(catalogue, purpose)}`),
        })
      : t('purpose.ask', {
          title: purpose.title[locale],
          explanation: purpose.explanation[locale],
          data: dataLabels(catalogue, purpose, locale),
          retention: purpose.retention[locale],
          recipients: purpose.recipients[locale],
          question: purpose.question[locale],
        });
  return {
    hash: noticeHash(text),
    purposeId,
    purposeVersion: purpose.version,
    catalogueVersion: catalogue.version,
    locale,
    text,
  };
}

/** Notices this turn will show in full, to archive durably before anything is sent. */
export function noticesToShow(
  input: Pick<RenderInput, 'catalogue' | 'locale' | 't'>,
  outputs: readonly ConversationOutput[],
): readonly NoticeRecord[] {
  return outputs.flatMap((output) => {
    if (output.type !== 'ask' || output.brief) return [];
    const notice = purposeNotice(input, output.purposeId, output.step);
    return notice ? [notice] : [];
  });
}

const BUTTONS: Readonly<Record<AskStep | 'erasure' | 'reasons', readonly string[]>> = {
  question: ['button.agree', 'button.refuse', 'button.details', 'button.later'],
  explicit: ['button.agreeExplicitly', 'button.refuse', 'button.details'],
  address: ['button.noAddress'],
  erasure: ['button.eraseConfirm', 'button.eraseCancel'],
  reasons: OPT_OUT_REASONS.map((reason) => `reason.${reason}`),
};

/** imBack sends the button's words as text: the same path as typing them, on every channel. */
export function buttons(t: Translate, set: keyof typeof BUTTONS): CardAction[] {
  return BUTTONS[set].map((key) => ({ type: ActionTypes.ImBack, title: t(key), value: t(key) }));
}

async function choiceLines(input: RenderInput, postponed: readonly string[]): Promise<string[]> {
  const { catalogue, locale, t } = input;
  const statuses = await input.statuses();
  return catalogue.purposes.map((purpose) => {
    const status = statuses.find((s) => s.purposeId === purpose.id)?.status ?? 'unknown';
    const shown = status === 'unknown' && postponed.includes(purpose.id) ? 'postponed' : status;
    return t('choices.line', { title: purpose.title[locale], status: t(`status.${shown}`) });
  });
}

function answer(input: RenderInput, topic: QuestionTopic, purposeId: string | null): string {
  const { catalogue, locale, t } = input;
  const controller = catalogue.controller;
  if (topic === 'controller') {
    const lines = [t('answer.controller', { name: controller.name, contact: controller.contact })];
    if (controller.dpoContact) lines.push(t('answer.dpo', { contact: controller.dpoContact }));
    return lines.join('\n');
  }
  if (topic === 'rights') return t('answer.rights', { contact: controller.contact });
  // About one purpose when the conversation says which, otherwise about the whole data map.
  const named = purposeOf(catalogue, purposeId ?? '');
  const purposes = named ? [named] : catalogue.purposes;
  const line = (purpose: Purpose): string =>
    t(`answer.${topic}.line`, {
      title: purpose.title[locale],
      data: dataLabels(catalogue, purpose, locale),
      explanation: purpose.explanation[locale],
      retention: purpose.retention[locale],
      recipients: purpose.recipients[locale],
    });
  if (named) return line(named);
  return [t(`answer.${topic}.intro`), ...purposes.map(line)].join('\n');
}

/**
 * Turns the conversation's outputs into activities, in order. `record` outputs become the
 * confirmation of a decision: the caller renders only after the ledger made them durable.
 */
export async function renderOutputs(
  input: RenderInput,
  outputs: readonly ConversationOutput[],
): Promise<Reply[]> {
  const { catalogue, locale, t } = input;
  const title = (purposeId: string): string =>
    purposeOf(catalogue, purposeId)?.title[locale] ?? purposeId;
  const fullyAsked = new Set(
    outputs.flatMap((o) => (o.type === 'ask' && !o.brief ? [o.purposeId] : [])),
  );
  const replies: Reply[] = [];
  for (const output of outputs) {
    switch (output.type) {
      case 'say':
        replies.push(
          MessageFactory.text(
            t(output.key, {
              controller: catalogue.controller.name,
              example: catalogue.purposes[0]?.keywords[locale][0] ?? '',
            }),
          ),
        );
        break;
      case 'ask': {
        // A digression in the same turn as the first presentation needs no second question.
        if (output.brief && fullyAsked.has(output.purposeId)) break;
        const purpose = purposeOf(catalogue, output.purposeId);
        if (!purpose) break;
        const text =
          output.step === 'address'
            ? t('address.ask', { title: purpose.title[locale] })
            : output.brief
              ? output.step === 'explicit'
                ? t('purpose.explicitQuestion')
                : purpose.question[locale]
              : (purposeNotice(input, output.purposeId, output.step)?.text ?? '');
        replies.push(MessageFactory.suggestedActions(buttons(t, output.step), text));
        break;
      }
      case 'details': {
        const purpose = purposeOf(catalogue, output.purposeId);
        if (purpose) {
          replies.push(
            MessageFactory.text(
              t('purpose.details', {
                title: purpose.title[locale],
                details: purpose.details[locale],
              }),
            ),
          );
        }
        break;
      }
      case 'answer':
        replies.push(MessageFactory.text(answer(input, output.topic, output.purposeId)));
        break;
      case 'summary':
        replies.push(
          MessageFactory.text(
            [t('summary.intro'), ...(await choiceLines(input, output.postponed))].join('\n'),
          ),
        );
        break;
      case 'choices':
        replies.push(
          MessageFactory.text([t('choices.intro'), ...(await choiceLines(input, []))].join('\n')),
        );
        break;
      case 'record': {
        const sentTo = input.results?.mail?.[output.purposeId];
        if (output.address !== undefined) {
          replies.push(
            MessageFactory.text(
              sentTo === undefined || sentTo === 'failed'
                ? t('address.sendFailed')
                : t('address.sent', {
                    title: title(output.purposeId),
                    address: sentTo,
                    hours: input.confirmationHours ?? 48,
                  }),
            ),
          );
        } else if (output.decision === 'given' || output.decision === 'refused') {
          replies.push(
            MessageFactory.text(
              t(`decision.${output.decision}`, { title: title(output.purposeId) }),
            ),
          );
        }
        break;
      }
      case 'askErasure':
        replies.push(MessageFactory.suggestedActions(buttons(t, 'erasure'), t('erasure.confirm')));
        break;
      case 'erase':
        replies.push(MessageFactory.text(input.results?.erasure ?? t('erasure.failed')));
        break;
      case 'export': {
        const exported = input.results?.export;
        if (!exported) {
          replies.push(MessageFactory.text(t('export.failed')));
          break;
        }
        // The readable summary in chat, and everything as a JSON file (GDPR art. 15(3)).
        const reply = MessageFactory.text(exported.summary);
        reply.attachments = [
          {
            contentType: 'application/json',
            name: 'my-data.json',
            content: exported.json,
          },
        ];
        replies.push(reply);
        break;
      }
      case 'receipt':
        replies.push(receiptReply(input, input.results?.receipt));
        break;
      case 'handoff':
        if (input.results?.handoff) replies.push(input.results.handoff);
        replies.push(MessageFactory.text(t(`handoff.toHuman.${output.reason}`)));
        break;
      case 'handoffDone':
        if (input.results?.handoffStatus) replies.push(input.results.handoffStatus);
        break;
      case 'reason':
        break;
    }
  }
  return replies;
}

/** The decisions in words, and each receipt as a JSON file the person can keep. */
function receiptReply(input: RenderInput, result: ReceiptResult | 'failed' | undefined): Reply {
  const { catalogue, locale, t } = input;
  if (result === undefined || result === 'failed') return MessageFactory.text(t('receipt.failed'));
  if (result.decisions.length === 0) return MessageFactory.text(t('receipt.nothing'));
  const day = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
  const lines = result.decisions.map((decision) =>
    t('receipt.line', {
      title: purposeOf(catalogue, decision.purposeId)?.title[locale] ?? decision.purposeId,
      status: t(`status.${decision.status}`),
      date: day.format(new Date(decision.at)),
    }),
  );
  const reply = MessageFactory.text(
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
  return reply;
}
