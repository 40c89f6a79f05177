import { describe, expect, it } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import { needsDoubleOptIn, type ConsentDecision, type ConsentStatus } from '../consent/ledger.js';
import { detectKeywordIntent } from '../consent/opt-out.js';
import { createTranslator, listOf } from '../bot/platform/i18n.js';
import { catalogue, startTestBot, type TestBot } from './harness.js';
import { WITHDRAW_ALL } from './opt-out-phrasings.js';

/**
 * 50+ distinct opt-out phrasings each withdrawing, and a purpose-named
 * withdrawal touching only that purpose, through the real opt-out guard and bot (TestAdapter), on
 * the default catalogue. The detector's own unit tests are in consent/opt-out.test.ts.
 */
const LOCALE: Locale = 'en';
const t = createTranslator()(LOCALE);
const title = (id: string) => catalogue.purposes.find((p) => p.id === id)?.title[LOCALE] ?? id;
const ALL_IDS = catalogue.purposes.map((p) => p.id);
/** The confirmation of a full stop names the consents that were in force, and only them. */
const withdrewAll = (inForce: readonly string[]) =>
  t('optOut.all', { purposes: listOf(LOCALE, inForce.map(title)) });
const withdrewSome = (id: string) => t('optOut.some', { purposes: listOf(LOCALE, [title(id)]) });

/** Purpose-named phrasings for the default catalogue: each names exactly one purpose. */
const WITHDRAW_ONE: readonly (readonly [string, string])[] = [
  ['I withdraw my consent for analytics', 'analytics'],
  ['arrêtez la newsletter', 'newsletter'],
  ['stop the newsletter', 'newsletter'],
  ['no more emails please', 'newsletter'],
  ['plus de lettre d’information, merci', 'newsletter'],
  ['opt me out of statistics', 'analytics'],
  ['retirez mon consentement pour les statistiques', 'analytics'],
  ['je retire mon consentement à la mesure d’audience', 'analytics'],
  ['arrêtez la géolocalisation', 'location'],
  ['STOP GPS', 'location'],
  ['désactivez la localisation', 'location'],
  ['stop personalised offers', 'personalised-offers'],
  ['je ne veux plus de vos offres', 'personalised-offers'],
  ['arrêtez le partage avec les partenaires', 'partner-sharing'],
  ['I withdraw my consent for partner sharing', 'partner-sharing'],
];

let users = 0;
/** A fresh bot and store for one phrasing, with a person of their own. */
function freshBot(): TestBot {
  users += 1;
  return startTestBot({ locale: 'en-US', user: `user-${users}`, conversation: `c-${users}` });
}

/** Consent to these purposes given (and, for e-mail, confirmed) in an earlier conversation. */
async function grantEarlier(bot: TestBot, purposeIds: readonly string[]): Promise<void> {
  const decisions = catalogue.purposes
    .filter((purpose) => purposeIds.includes(purpose.id))
    .flatMap((purpose): ConsentDecision[] => {
      const decision = (kind: 'given' | 'confirmed'): ConsentDecision => ({
        subject: bot.subject,
        purposeId: purpose.id,
        decision: kind,
        purposeVersion: purpose.version,
        catalogueVersion: catalogue.version,
        noticeHash: null,
        locale: LOCALE,
        channelId: bot.subject.channelId,
        conversationId: 'earlier-conversation',
        activityId: `earlier-${purpose.id}-${kind}`,
        source: kind === 'given' ? 'conversation' : 'email-confirmation',
        explicit: purpose.explicitConsent,
      });
      return needsDoubleOptIn(purpose)
        ? [decision('given'), decision('confirmed')]
        : [decision('given')];
    });
  await bot.stores.ledger.append(decisions, new Date());
}

/** Given earlier, so each stop also has a granted consent to withdraw; never the first purpose. */
const GRANTED_EARLIER = catalogue.purposes.find(
  (p, i) => i > 0 && !needsDoubleOptIn(p) && !p.explicitConsent,
)?.id;

const OFF: readonly ConsentStatus[] = ['withdrawn', 'refused'];

describe('opt-out phrasings through the real bot: every consent withdrawn', () => {
  it('has 50+ distinct phrasings, each one a withdrawal of everything on this catalogue', () => {
    expect(new Set(WITHDRAW_ALL).size).toBe(WITHDRAW_ALL.length);
    expect(WITHDRAW_ALL.length).toBeGreaterThanOrEqual(50);
    for (const phrasing of WITHDRAW_ALL) {
      expect({ phrasing, intent: detectKeywordIntent(phrasing, catalogue) }).toEqual({
        phrasing,
        intent: { kind: 'withdraw', purposeIds: 'all' },
      });
    }
  });

  it.each(WITHDRAW_ALL)('%s', async (phrasing) => {
    const bot = freshBot();
    await grantEarlier(bot, [GRANTED_EARLIER!]);
    expect((await bot.join()).length).toBeGreaterThan(0);
    // Yes to the first purpose asked: the stop then comes in the middle of its follow-up.
    expect((await bot.say('yes')).length).toBeGreaterThan(0);
    const before = await bot.statuses();
    const inForce = ALL_IDS.filter((id) => before[id] === 'granted' || before[id] === 'pending');
    const reply = await bot.say(phrasing);
    expect(reply).toHaveLength(1);
    expect(reply[0]?.text.startsWith(withdrewAll(inForce))).toBe(true);
    const statuses = await bot.statuses();
    expect(Object.keys(statuses)).toEqual(ALL_IDS);
    expect(statuses[GRANTED_EARLIER!]).toBe('withdrawn');
    for (const [purposeId, status] of Object.entries(statuses)) {
      expect({ purposeId, status: OFF.includes(status) ? 'off' : status }).toEqual({
        purposeId,
        status: 'off',
      });
    }
  });
});

describe('opt-out phrasings through the real bot: one named purpose withdrawn, and only it', () => {
  it('has 10+ distinct phrasings, each naming exactly its purpose on this catalogue', () => {
    expect(new Set(WITHDRAW_ONE.map(([phrasing]) => phrasing)).size).toBe(WITHDRAW_ONE.length);
    expect(WITHDRAW_ONE.length).toBeGreaterThanOrEqual(10);
    expect(new Set(WITHDRAW_ONE.map(([, id]) => id))).toEqual(new Set(ALL_IDS));
    for (const [phrasing, purposeId] of WITHDRAW_ONE) {
      expect({ phrasing, intent: detectKeywordIntent(phrasing, catalogue) }).toEqual({
        phrasing,
        intent: { kind: 'withdraw', purposeIds: [purposeId] },
      });
    }
  });

  it.each(WITHDRAW_ONE)('%s', async (phrasing, purposeId) => {
    const bot = freshBot();
    await grantEarlier(bot, ALL_IDS);
    await bot.join();
    const reply = await bot.say(phrasing);
    expect(reply).toHaveLength(1);
    expect(reply[0]?.text).toBe(withdrewSome(purposeId));
    const statuses = await bot.statuses();
    expect(statuses).toEqual(
      Object.fromEntries(ALL_IDS.map((id) => [id, id === purposeId ? 'withdrawn' : 'granted'])),
    );
  });
});
