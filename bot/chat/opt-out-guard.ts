import {
  ActionTypes,
  MessageFactory,
  type CardAction,
  type Middleware,
  type TurnContext,
} from 'botbuilder';
import type { Catalogue, Locale } from '../../consent/catalogue.js';
import type { PendingConfirmations } from '../../consent/confirmations.js';
import type { ConsentLedger } from '../../consent/ledger.js';
import { detectKeywordIntent } from '../../consent/opt-out.js';
import { recordWithdrawal, type StopScope } from '../../consent/withdrawal.js';
import type { DoubleOptIn } from '../email/double-opt-in.js';
import { listOf, type Translate, type Translator } from '../platform/i18n.js';
import { errorFields, type Logger } from '../platform/log.js';
import { wordsOf } from './message-words.js';
import { buttons } from './render.js';
import type { StopRecord, TurnRunner } from './turn.js';

export interface OptOutGuardDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly confirmations: Pick<PendingConfirmations, 'deleteForSubject'>;
  readonly doubleOptIn: DoubleOptIn;
  readonly now: () => Date;
  readonly log: Logger;
  readonly translator: Translator;
  /** Runs the stop's turn: shared with the bot. */
  readonly turns: TurnRunner;
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
    if (intent?.kind === 'askStop') return this.#howToStop(context);
    if (intent?.kind !== 'withdraw') return next();
    const named = intent.purposeIds;
    // The conversation is told first (saved as stopped), then the withdrawal is recorded.
    await this.#deps.turns.runStop(
      context,
      [{ type: 'user.withdrew', purposeIds: named }],
      this.#withdraw(context, named),
    );
  }

  /**
   * "How do I unsubscribe?" asks, it does not stop: nothing is withdrawn and the conversation is
   * left where it was. The answer says how, and offers the stop itself as one tap, everything or
   * one purpose, since withdrawing must be as easy as consenting (GDPR art. 7(3)).
   */
  async #howToStop(context: TurnContext): Promise<void> {
    const locale = await this.#deps.turns.localeOf(context);
    const t = this.#deps.translator(locale);
    this.#deps.log.info('opt_out.asked_how', { activity: context.activity.id });
    await context.sendActivity(
      MessageFactory.suggestedActions(
        stopButtons(this.#deps.catalogue, locale, t),
        t('optOut.how'),
      ),
    );
  }

  /** Records the stop, then confirms it: the confirmation is the turn's only message. */
  #withdraw(context: TurnContext, named: StopScope): StopRecord {
    return async ({ facts, locale, t }) => {
      const { catalogue, ledger, confirmations, doubleOptIn, log, now } = this.#deps;
      const correlation = { conversation: facts.conversationId, activity: facts.activityId };
      let purposeIds: readonly string[];
      let inForce: readonly string[];
      try {
        const done = await recordWithdrawal(ledger, confirmations, catalogue, {
          subject: facts.subject,
          scope: named,
          origin: {
            locale,
            channelId: facts.channelId,
            conversationId: facts.conversationId,
            activityId: facts.activityId,
            source: 'opt-out',
          },
          at: now(),
        });
        if (done.linksNotRevoked !== undefined) {
          log.error('opt_out.links_not_revoked', errorFields(done.linksNotRevoked));
        }
        purposeIds = done.purposeIds;
        inForce = done.inForce;
      } catch (error) {
        log.error('opt_out.not_recorded', { ...correlation, ...errorFields(error) });
        await context.sendActivity(
          MessageFactory.text(t('optOut.failed', { contact: catalogue.controller.contact })),
        );
        return false;
      }
      log.info('opt_out.recorded', {
        ...correlation,
        scope: named === 'all' ? 'all' : named.join(','),
      });
      const confirmation = confirmationOf(catalogue, locale, t, named, purposeIds, inForce);
      // Learning from opt-outs: one optional, one-tap question, in the same message, never
      // repeated. Asked of a full stop even with nothing given: the reason still tells.
      await context.sendActivity(
        named === 'all'
          ? MessageFactory.suggestedActions(
              buttons(t, 'reasons'),
              `${confirmation}\n\n${t('optOut.why')}`,
            )
          : MessageFactory.text(confirmation),
      );
      await doubleOptIn.mailWithdrawal(facts.subject, purposeIds, locale);
      return true;
    };
  }
}

/**
 * A confirmation that is true: it calls withdrawn only the consents that were in force, and says
 * so when there were none (nothing was agreed to; the stop's ledger event keeps the bot from
 * asking again, which is a refusal kept, not a withdrawal of consent).
 */
function confirmationOf(
  catalogue: Catalogue,
  locale: Locale,
  t: Translate,
  named: StopScope,
  purposeIds: readonly string[],
  inForce: readonly string[],
): string {
  const titles = (ids: readonly string[]) =>
    listOf(
      locale,
      catalogue.purposes.filter((p) => ids.includes(p.id)).map((p) => p.title[locale]),
    );
  if (inForce.length > 0) {
    return t(named === 'all' ? 'optOut.all' : 'optOut.some', { purposes: titles(inForce) });
  }
  return named === 'all'
    ? t('optOut.nothing')
    : t('optOut.nothingNamed', { purposes: titles(purposeIds) });
}

/** One tap to stop everything, and one per purpose: the words a stop is said with, as buttons. */
function stopButtons(catalogue: Catalogue, locale: Locale, t: Translate): CardAction[] {
  const labels = [
    t('optOut.stopAll'),
    ...catalogue.purposes.map((p) => t('optOut.stopOne', { title: p.title[locale] })),
  ];
  // imBack sends the label as text: the same path as typing it, and the guard reads it as a stop.
  return labels.map((label) => ({ type: ActionTypes.ImBack, title: label, value: label }));
}
