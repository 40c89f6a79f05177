import { randomUUID } from 'node:crypto';
import { MessageFactory, type Middleware, type TurnContext } from 'botbuilder';
import type { Catalogue, Locale } from '../consent/catalogue.js';
import { decisionAbout, deriveStatuses, type ConsentLedger } from '../consent/ledger.js';
import { detectKeywordIntent } from '../consent/opt-out.js';
import { runConversation } from '../dialogs/run-conversation.js';
import { markHandled, turnFacts, type ConversationMemory } from './conversation-memory.js';
import { listOf, localeFrom, type Translate } from './i18n.js';
import { errorFields, type Logger } from './log.js';
import type { Keys } from './secrets.js';
import type { DoubleOptIn } from './double-opt-in.js';
import { reportAgentHandoff, type Handoffs } from './handoff.js';
import { buttons } from './render.js';
import type { ConversationOutput } from '../dialogs/outputs.js';

export interface OptOutGuardDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
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

/** Text a message carries, typed or inside a card submission. */
function wordsOf(context: TurnContext): string {
  const text = context.activity.text;
  const value: unknown = context.activity.value;
  const submitted =
    value && typeof value === 'object' ? (value as { text?: unknown }).text : undefined;
  return [text, typeof submitted === 'string' ? submitted : ''].join(' ').trim();
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
    const intent = detectKeywordIntent(wordsOf(context), this.#deps.catalogue);
    if (intent?.kind !== 'withdraw') return next();
    await this.#withdraw(context, intent.purposeIds);
  }

  async #withdraw(context: TurnContext, named: readonly string[] | 'all'): Promise<void> {
    const { catalogue, ledger, memory, log, now } = this.#deps;
    const facts = turnFacts(context.activity, randomUUID, this.#deps.keys.ledgerSubject);
    const ids = named === 'all' ? catalogue.purposes.map((p) => p.id) : named;
    let locale = localeFrom(context.activity.locale, this.#deps.defaultLocale);
    // An object, not a `let`: it is set inside the retried closure below.
    const progress: { recorded: boolean; outputs: readonly ConversationOutput[] } = {
      recorded: false,
      outputs: [],
    };
    try {
      await memory.update(facts, async (data) => {
        locale = data.locale ?? locale;
        const statuses = deriveStatuses(catalogue, await ledger.latest(facts.subject));
        // A purpose already refused or withdrawn needs no new record: it is already off.
        const toRecord = statuses.filter(
          (s) => ids.includes(s.purposeId) && s.status !== 'withdrawn' && s.status !== 'refused',
        );
        const decisions = catalogue.purposes
          .filter((purpose) => toRecord.some((s) => s.purposeId === purpose.id))
          .map((purpose) =>
            decisionAbout(catalogue, purpose, {
              subject: facts.subject,
              decision: 'withdrawn',
              noticeHash: null,
              locale,
              channelId: facts.channelId,
              conversationId: facts.conversationId,
              activityId: facts.activityId,
              source: 'opt-out',
              explicit: false,
            }),
          );
        await ledger.append(decisions, now());
        progress.recorded = true;
        const step = runConversation(data.snapshot, [{ type: 'user.withdrew', purposeIds: named }]);
        progress.outputs = step.outputs;
        const handled = markHandled(data, facts.activityId);
        return { data: { ...data, snapshot: step.snapshot, locale, handled }, result: undefined };
      });
    } catch (error) {
      log.error(progress.recorded ? 'opt_out.state_not_saved' : 'opt_out.not_recorded', {
        conversation: facts.conversationId,
        activity: facts.activityId,
        ...errorFields(error),
      });
      // Conversation state is disposable; only a withdrawal that is not in the ledger failed.
      if (!progress.recorded) {
        const t = this.#deps.translator(locale);
        await context.sendActivity(
          MessageFactory.text(t('optOut.failed', { contact: catalogue.controller.contact })),
        );
        return;
      }
    }
    log.info('opt_out.recorded', {
      conversation: facts.conversationId,
      activity: facts.activityId,
      scope: named === 'all' ? 'all' : named.join(','),
    });
    const t = this.#deps.translator(locale);
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
    await this.#reportAgentHandoffs(context, facts, progress.outputs);
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
