import { MessageFactory, type Middleware, type TurnContext } from 'botbuilder';
import type { Catalogue } from '../../consent/catalogue.js';
import type { PendingConfirmations } from '../../consent/confirmations.js';
import type { ConsentLedger } from '../../consent/ledger.js';
import { detectKeywordIntent } from '../../consent/opt-out.js';
import { recordWithdrawal, type StopScope } from '../../consent/withdrawal.js';
import type { DoubleOptIn } from '../email/double-opt-in.js';
import { listOf } from '../platform/i18n.js';
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
    if (intent?.kind !== 'withdraw') return next();
    const named = intent.purposeIds;
    // The conversation is told first (saved as stopped), then the withdrawal is recorded.
    await this.#deps.turns.runStop(
      context,
      [{ type: 'user.withdrew', purposeIds: named }],
      this.#withdraw(context, named),
    );
  }

  /** Records the stop, then confirms it: the confirmation is the turn's only message. */
  #withdraw(context: TurnContext, named: StopScope): StopRecord {
    return async ({ facts, locale, t }) => {
      const { catalogue, ledger, confirmations, doubleOptIn, log, now } = this.#deps;
      const correlation = { conversation: facts.conversationId, activity: facts.activityId };
      let purposeIds: readonly string[];
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
      const titles = catalogue.purposes
        .filter((p) => purposeIds.includes(p.id))
        .map((p) => p.title[locale]);
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
      await doubleOptIn.mailWithdrawal(facts.subject, purposeIds, locale);
      return true;
    };
  }
}
