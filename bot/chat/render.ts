import { ActionTypes, type Activity, type CardAction } from 'botbuilder';
import {
  categoryOf,
  purposeOf,
  sensitivityOf,
  type Catalogue,
  type Locale,
  type Purpose,
} from '../../consent/catalogue.js';
import type { NoticeRecord, PurposeStatus } from '../../consent/ledger.js';
import { noticeHash } from '../../consent/notice.js';
import { OPT_OUT_REASONS } from '../../dialogs/events.js';
import type { AskStep, ConversationOutput } from '../../dialogs/outputs.js';
import { listOf, type Translate } from '../platform/i18n.js';

/** Everything a message needs to be rendered; statuses are fetched only when a message needs them. */
export interface RenderInput {
  readonly catalogue: Catalogue;
  readonly locale: Locale;
  readonly t: Translate;
  readonly statuses: () => Promise<readonly PurposeStatus[]>;
  /** How long a confirmation link works, to say so. */
  readonly confirmationHours?: number;
  /** How long this chat is kept (TRANSCRIPT_RETENTION_DAYS), to say so (GDPR art. 13(2)(a)). */
  readonly transcriptRetentionDays: number;
}

/** What a message is rendered in: the turn's other outputs too (an ask may be said already). */
export interface RenderScope extends RenderInput {
  readonly outputs: readonly ConversationOutput[];
}

export type Reply = Partial<Activity>;

export function dataLabels(catalogue: Catalogue, purpose: Purpose, locale: Locale): string {
  const labels = purpose.dataCategories.map((id) => categoryOf(catalogue, id)?.label[locale] ?? id);
  return listOf(locale, labels);
}

/**
 * The exact text that presents a purpose before a decision. It is both what the person reads and
 * what the ledger's hash points to, so the two can never differ (GDPR art. 7(1): the controller must show what the person agreed to).
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

/** One line per purpose of the data map: its title and its status now. */
export async function choiceLines(
  input: RenderInput,
  postponed: readonly string[],
): Promise<string[]> {
  const { catalogue, locale, t } = input;
  const statuses = await input.statuses();
  return catalogue.purposes.map((purpose) => {
    const status = statuses.find((s) => s.purposeId === purpose.id)?.status ?? 'unknown';
    const shown = status === 'unknown' && postponed.includes(purpose.id) ? 'postponed' : status;
    return t('choices.line', { title: purpose.title[locale], status: t(`status.${shown}`) });
  });
}
