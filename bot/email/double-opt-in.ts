import type { Catalogue, Locale } from '../../consent/catalogue.js';
import type { PendingConfirmation, PendingConfirmations } from '../../consent/confirmations.js';
import {
  DEFAULT_TAKE_EXPIRED_LIMIT,
  hashConfirmationToken,
  isConfirmationToken,
  pendingConfirmationOf,
} from '../../consent/confirmations.js';
import type { ContactAddresses } from '../../consent/contact-addresses.js';
import {
  decisionAbout,
  headOf,
  LedgerConflictError,
  type ConsentDecision,
  type ConsentLedger,
  type DecisionSource,
} from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import { recordWithdrawal } from '../../consent/withdrawal.js';
import type { Translator } from '../platform/i18n.js';
import { signLink, verifyLink } from './links.js';
import { confirmationMail, withdrawalMail } from './messages.js';
import type { Mailer } from './mailer.js';
import { errorFields, type Logger } from '../platform/log.js';
import type { ConfirmResult, UnsubscribeResult } from './routes.js';
import type { Keys } from '../platform/secrets.js';

export interface DoubleOptInDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly confirmations: PendingConfirmations;
  readonly addresses: ContactAddresses;
  readonly mailer: Mailer;
  readonly translator: Translator;
  readonly keys: Keys;
  /** Where the links in e-mails point, without a trailing slash. */
  readonly publicUrl: string;
  readonly ttlHours: number;
  readonly now: () => Date;
  readonly log: Logger;
}

/** Ending a pending consent while the person decides elsewhere: look again this many times. */
const DECIDE_ATTEMPTS = 5;

/** `takeExpired` hands back at most this many at a time. */
const EXPIRY_BATCH = DEFAULT_TAKE_EXPIRED_LIMIT;

/** "jane@example.com" -> "j***@example.com": enough to recognise, not to copy from a screen. */
export function maskAddress(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 1 ? '***' : `${email.slice(0, 1)}***${email.slice(at)}`;
}

/**
 * The e-mail side of consent: double opt-in (the purpose stays pending until the link is opened),
 * the confirmation of a stop by e-mail, and one-click unsubscribe (RFC 8058). Every decision it
 * makes goes to the ledger like any other, with its own source.
 */
export class DoubleOptIn {
  readonly #deps: DoubleOptInDeps;

  constructor(deps: DoubleOptInDeps) {
    this.#deps = deps;
  }

  /**
   * Stores a hashed, single-use token, then mails its link. Resolves to the masked address the
   * link went to, or to 'failed' (logged by code).
   */
  async send(subject: Subject, purposeId: string, email: string, locale: Locale): Promise<string> {
    const { catalogue, confirmations, mailer, translator, now, ttlHours, log } = this.#deps;
    const purpose = catalogue.purposes.find((p) => p.id === purposeId);
    if (!purpose) return 'failed';
    try {
      const { token, confirmation } = pendingConfirmationOf(
        { subject, purposeId, email, locale },
        now(),
        ttlHours * 3_600_000,
      );
      await confirmations.create(confirmation);
      await mailer.send(
        confirmationMail({
          to: email,
          t: translator(locale),
          controller: catalogue.controller,
          purposeTitle: purpose.title[locale],
          // The data map requires it for every e-mail purpose; the title is a last resort only.
          purposeText: purpose.confirmationEmail?.[locale] ?? purpose.title[locale],
          confirmUrl: `${this.#deps.publicUrl}/confirm?token=${token}&lang=${locale}`,
          unsubscribeUrl: this.unsubscribeUrl(subject, purposeId, locale),
          expiresInHours: ttlHours,
        }),
      );
      return maskAddress(email);
    } catch (error) {
      log.error('double_opt_in.not_sent', { purpose: purposeId, ...errorFields(error) });
      return 'failed';
    }
  }

  /**
   * The link in an e-mail was opened: the pending consent becomes granted, if it is still the one
   * the link was mailed for. A link mailed before a stop, or before the person changed their
   * answer, must not undo it (GDPR art. 7(3)): the page then says the link is no longer valid.
   */
  async confirm(token: string): Promise<ConfirmResult> {
    const { catalogue, confirmations, addresses, now } = this.#deps;
    const fallback = { outcome: 'expired-or-unknown' as const, locale: 'en' as const };
    if (!isConfirmationToken(token)) return fallback;
    const tokenHash = hashConfirmationToken(token);
    const pending = await confirmations.consume(tokenHash, now());
    const purpose = catalogue.purposes.find((p) => p.id === pending?.purposeId);
    if (!pending || !purpose) return fallback;
    const answer = { locale: pending.locale, purposeTitle: purpose.title[pending.locale] };
    const confirmed = await this.#endPending(pending, 'confirmed', `confirm:${tokenHash}`, now());
    if (!confirmed) return { outcome: 'revoked', ...answer };
    await addresses.set(pending.subject, { email: pending.email, verifiedAt: now().toISOString() });
    return { outcome: 'confirmed', ...answer };
  }

  /** RFC 8058 one-click: withdraws the purpose of the link (or every one), like saying stop. */
  async unsubscribe(token: string, locale: Locale): Promise<UnsubscribeResult> {
    const { catalogue, ledger, confirmations, log, now } = this.#deps;
    const link = verifyLink(this.#deps.keys.linkKey, token);
    if (!link) return { outcome: 'invalid', locale };
    const subject = { channelId: link.c, userId: link.u };
    const at = now();
    const done = await recordWithdrawal(ledger, confirmations, catalogue, {
      subject,
      scope: link.p === '*' ? 'all' : [link.p],
      origin: {
        locale,
        channelId: subject.channelId,
        // Not said in a conversation: the e-mail itself is the channel of this decision.
        conversationId: 'email',
        activityId: `unsubscribe:${at.toISOString()}`,
        source: 'email-unsubscribe',
      },
      at,
    });
    if (done.linksNotRevoked !== undefined) {
      log.error('opt_out.links_not_revoked', errorFields(done.linksNotRevoked));
    }
    const titles = catalogue.purposes
      .filter((p) => done.purposeIds.includes(p.id))
      .map((p) => p.title[locale]);
    return { outcome: 'withdrawn', locale, purposeTitles: titles };
  }

  /**
   * Tokens whose link was never opened: each becomes an `expired` event, so the purpose
   * stops being pending and can be asked again, unless the consent it was mailed for is no longer
   * pending (withdrawn, refused, or given again since): an `expired` after a withdrawal would turn
   * "never ask again" back into "unknown". A token taken but not recorded (the ledger failed) is
   * put back, so the next run records it.
   */
  async expire(at: Date): Promise<number> {
    const { confirmations } = this.#deps;
    let recorded = 0;
    for (;;) {
      const expired = await confirmations.takeExpired(at);
      for (const [index, pending] of expired.entries()) {
        try {
          if (await this.#endPending(pending, 'expired', `expire:${pending.tokenHash}`, at)) {
            recorded++;
          }
        } catch (error) {
          for (const left of expired.slice(index)) await confirmations.create(left);
          throw error;
        }
      }
      if (expired.length < EXPIRY_BATCH) return recorded;
    }
  }

  /**
   * Records how a pending consent ended (confirmed, expired) if it is still the one the token was
   * made for, on exactly the ledger that showed it so (`expectedHead`): a stop landing meanwhile
   * makes the append conflict, and the next look finds the consent no longer pending. The `given`
   * is appended before its link is made, so a later `given` belongs to another link.
   */
  async #endPending(
    pending: PendingConfirmation,
    decision: 'confirmed' | 'expired',
    activityId: string,
    at: Date,
  ): Promise<boolean> {
    const { ledger } = this.#deps;
    for (let attempt = 1; ; attempt++) {
      const latest = await ledger.latest(pending.subject);
      const current = latest.find((event) => event.purposeId === pending.purposeId);
      if (current?.decision !== 'given' || current.recordedAt > pending.createdAt) return false;
      const source = decision === 'confirmed' ? 'email-confirmation' : 'expiry';
      try {
        await ledger.append(
          [
            this.#decision(
              pending.subject,
              pending.purposeId,
              decision,
              pending.locale,
              activityId,
              source,
            ),
          ],
          at,
          { expectedHead: headOf(latest) },
        );
        return true;
      } catch (error) {
        if (!(error instanceof LedgerConflictError) || attempt >= DECIDE_ATTEMPTS) throw error;
      }
    }
  }

  /** The article asks for a stop to be confirmed by e-mail too, when we know a verified address. */
  async mailWithdrawal(
    subject: Subject,
    purposeIds: readonly string[],
    locale: Locale,
  ): Promise<void> {
    const { catalogue, addresses, mailer, translator, log } = this.#deps;
    try {
      const address = await addresses.get(subject);
      if (!address) return;
      await mailer.send(
        withdrawalMail({
          to: address.email,
          t: translator(locale),
          controller: catalogue.controller,
          purposeTitles: catalogue.purposes
            .filter((p) => purposeIds.includes(p.id))
            .map((p) => p.title[locale]),
          unsubscribeUrl: this.unsubscribeUrl(subject, '*', locale),
        }),
      );
    } catch (error) {
      // The stop itself is recorded; a missing e-mail must not undo or delay it.
      log.error('withdrawal_mail.not_sent', errorFields(error));
    }
  }

  unsubscribeUrl(subject: Subject, purposeId: string, locale: Locale): string {
    const token = signLink(this.#deps.keys.linkKey, {
      c: subject.channelId,
      u: subject.userId,
      p: purposeId,
    });
    return `${this.#deps.publicUrl}/unsubscribe?token=${token}&lang=${locale}`;
  }

  #decision(
    subject: Subject,
    purposeId: string,
    decision: ConsentDecision['decision'],
    locale: Locale,
    activityId: string,
    source: DecisionSource,
  ): ConsentDecision {
    const { catalogue } = this.#deps;
    // A token may outlive its purpose in the catalogue; its expiry is still recorded.
    const purpose = catalogue.purposes.find((p) => p.id === purposeId) ?? {
      id: purposeId,
      version: 0,
    };
    return decisionAbout(catalogue, purpose, {
      subject,
      decision,
      noticeHash: null,
      locale,
      channelId: subject.channelId,
      // Not said in a conversation: the e-mail itself is the channel of this decision.
      conversationId: 'email',
      activityId,
      source,
      explicit: false,
    });
  }
}
