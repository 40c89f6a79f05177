import { randomUUID } from 'node:crypto';
import { MessageFactory, type Middleware, type TurnContext } from 'botbuilder';
import type { Catalogue, Locale } from '../../consent/catalogue.js';
import { detectKeywordIntent } from '../../consent/opt-out.js';
import { runConversation } from '../../dialogs/run-conversation.js';
import { markHandled, turnFacts, type ConversationMemory } from './conversation-memory.js';
import { listOf, localeFrom, type Translate } from '../platform/i18n.js';
import { errorFields, type Logger } from '../platform/log.js';
import type { Keys } from '../platform/secrets.js';
import type { DoubleOptIn } from '../email/double-opt-in.js';
import { reportAgentHandoff, type Handoffs } from './handoff.js';
import { buttons } from './render.js';
import type { ConversationOutput } from '../../dialogs/outputs.js';
import { recordWithdrawal, withdrawnPurposes, type WithdrawalDeps } from './withdrawal.js';

export interface OptOutGuardDeps extends WithdrawalDeps {
  readonly catalogue: Catalogue;
  readonly memory: ConversationMemory;
  readonly translator: (locale: Locale) => Translate;
  readonly defaultLocale: Locale;
  readonly now: () => Date;
  readonly log: Logger;
  readonly keys: Keys;
  readonly doubleOptIn: DoubleOptIn;
  /** A stop ends a support agent's hand-off: its outcome is reported after the confirmation. */
  readonly handoffs: Handoffs;
}

/**
 * Text a message carries, typed or inside a card submission: what the guard and the rate limits
 * read to tell a stop, so a stop is heard the same way everywhere.
 */
export function wordsOf(activity: { readonly text?: unknown; readonly value?: unknown }): string {
  const { text, value } = activity;
  const submitted =
    value && typeof value === 'object' ? (value as { text?: unknown }).text : undefined;
  return [typeof text === 'string' ? text : '', typeof submitted === 'string' ? submitted : '']
    .join(' ')
    .trim();
}

/**
 * Runs before the conversation on every message, on every channel. GDPR art. 7(3): withdrawing is
 * as easy as consenting and takes effect at once. The withdrawal is durable before the reply, and
 * the confirmation is the only message of the turn: the conversation's own logic never runs.
 */
export class OptOutGuard implements Middleware {
  readonly #deps: OptOutGuardDeps;

  constructor(deps: OptOutGuardDeps) {
    this.#deps = deps;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    if (context.activity.type !== 'message') return next();
    const intent = detectKeywordIntent(wordsOf(context.activity), this.#deps.catalogue);
    if (intent?.kind !== 'withdraw') return next();
    await this.#withdraw(context, intent.purposeIds);
  }

  /**
   * The order is what makes a stop hold against a concurrent turn of the same conversation on
   * another server: first the conversation is marked stopped, then the withdrawal is appended.
   * A turn that read the conversation before the mark has a ledger head from before the
   * withdrawal, so its decisions conflict and it re-runs on the stopped conversation.
   */
  async #withdraw(context: TurnContext, named: readonly string[] | 'all'): Promise<void> {
    const { catalogue, memory, log, now } = this.#deps;
    const facts = turnFacts(context.activity, randomUUID, this.#deps.keys.ledgerSubject);
    const ids = withdrawnPurposes(catalogue, named);
    let locale = localeFrom(context.activity.locale, this.#deps.defaultLocale);
    let outputs: readonly ConversationOutput[] = [];
    try {
      outputs = await memory.update(facts, ({ data }) => {
        locale = data.locale ?? locale;
        const step = runConversation(data.snapshot, [{ type: 'user.withdrew', purposeIds: named }]);
        const handled = markHandled(data, facts.activityId);
        return Promise.resolve({
          data: { ...data, snapshot: step.snapshot, locale, handled },
          result: step.outputs,
        });
      });
    } catch (error) {
      // Conversation state is disposable: the withdrawal is recorded all the same.
      log.error('opt_out.state_not_saved', {
        conversation: facts.conversationId,
        activity: facts.activityId,
        ...errorFields(error),
      });
    }
    const t = this.#deps.translator(locale);
    try {
      await recordWithdrawal(
        this.#deps,
        facts.subject,
        ids,
        {
          locale,
          channelId: facts.channelId,
          conversationId: facts.conversationId,
          activityId: facts.activityId,
          source: 'opt-out',
        },
        now(),
      );
    } catch (error) {
      log.error('opt_out.not_recorded', {
        conversation: facts.conversationId,
        activity: facts.activityId,
        ...errorFields(error),
      });
      await context.sendActivity(
        MessageFactory.text(t('optOut.failed', { contact: catalogue.controller.contact })),
      );
      return;
    }
    log.info('opt_out.recorded', {
      conversation: facts.conversationId,
      activity: facts.activityId,
      scope: named === 'all' ? 'all' : named.join(','),
    });
    const titles = catalogue.purposes.filter((p) => ids.includes(p.id)).map((p) => p.title[locale]);
    const confirmation = t(named === 'all' ? 'optOut.all' : 'optOut.some', {
      purposes: listOf(locale, titles),
    });
    // Learning from opt-outs: one optional, one-tap question, in the same message, never repeated.
    await context.sendActivity(
      named === 'all'
        ? MessageFactory.suggestedActions(
            buttons(t, 'reasons'),
            `${confirmation}\n\n${t('optOut.why')}`,
          )
        : MessageFactory.text(confirmation),
    );
    await this.#deps.doubleOptIn.mailWithdrawal(facts.subject, ids, locale);
    await this.#reportAgentHandoffs(context, facts, outputs);
  }

  /** An event for the agent's channel, not a message: the confirmation stays the only one. */
  async #reportAgentHandoffs(
    context: TurnContext,
    facts: ReturnType<typeof turnFacts>,
    outputs: readonly ConversationOutput[],
  ): Promise<void> {
    for (const output of outputs) {
      if (output.type !== 'handoffDone') continue;
      try {
        const report = await reportAgentHandoff(this.#deps, context, facts, output);
        await context.sendActivity(report.status);
        if (report.record) this.#deps.handoffs.notify(report.record);
      } catch (error) {
        // The stop is recorded and confirmed; only the agent's report is missing.
        this.#deps.log.error('handoff.report_failed', {
          conversation: facts.conversationId,
          handoff: output.handoffId,
          ...errorFields(error),
        });
      }
    }
  }
}
