import { describe, expect, it } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import { createTranslator, listOf } from '../bot/platform/i18n.js';
import { OPT_OUT_REASONS } from '../consent/opt-out-reasons.js';
import { detectKeywordIntent } from '../consent/opt-out.js';
import { catalogue, startTestBot, type TestBot } from './harness.js';

/**
 * Stopping as customers say it, through the bot and the opt-out guard, on the real (memory)
 * ledger: a question about stopping withdraws nothing and offers the stop as one tap; a scoped
 * stop withdraws exactly what it names; a confirmation names only consents that were in force.
 */
const translator = createTranslator();
const IDS = catalogue.purposes.map((p) => p.id);
const titleOf = (id: string, locale: Locale) =>
  catalogue.purposes.find((p) => p.id === id)?.title[locale] ?? id;

function texts(locale: Locale) {
  const t = translator(locale);
  const titles = (ids: readonly string[]) =>
    listOf(
      locale,
      ids.map((id) => titleOf(id, locale)),
    );
  return {
    t,
    how: t('optOut.how'),
    stopAll: t('optOut.stopAll'),
    stopOne: (id: string) => t('optOut.stopOne', { title: titleOf(id, locale) }),
    stopButtons: [
      t('optOut.stopAll'),
      ...IDS.map((id) => t('optOut.stopOne', { title: titleOf(id, locale) })),
    ],
    stoppedAll: (ids: readonly string[]) => ({
      text: `${t('optOut.all', { purposes: titles(ids) })}\n\n${t('optOut.why')}`,
      buttons: OPT_OUT_REASONS.map((reason) => t(`reason.${reason}`)),
    }),
    stoppedSome: (ids: readonly string[]) => ({
      text: t('optOut.some', { purposes: titles(ids) }),
      buttons: [],
    }),
    nothing: {
      text: `${t('optOut.nothing')}\n\n${t('optOut.why')}`,
      buttons: OPT_OUT_REASONS.map((reason) => t(`reason.${reason}`)),
    },
  };
}

/** Newsletter given (pending its e-mail link), personalised offers and analytics given. */
async function giveThree(bot: TestBot): Promise<void> {
  await bot.join();
  for (const answer of ['yes', 'jane@example.com', 'yes', 'yes']) await bot.say(answer);
  expect(await bot.statuses()).toMatchObject({
    newsletter: 'pending',
    'personalised-offers': 'granted',
    analytics: 'granted',
    location: 'unknown',
  });
}

const GIVEN = ['newsletter', 'personalised-offers', 'analytics'];

describe('a question about stopping withdraws nothing and offers the stop as one tap', () => {
  it.each([
    ['how do I unsubscribe?', 'en'],
    ['can I change my mind later?', 'en'],
    ['comment me désinscrire ?', 'fr'],
    ['je pourrai changer d’avis plus tard ?', 'fr'],
  ] as const)('"%s" (%s)', async (question, locale) => {
    const bot = startTestBot({ locale });
    await giveThree(bot);
    const before = await bot.stores.ledger.history(bot.subject);

    const reply = await bot.say(question);

    expect(reply).toEqual([{ text: texts(locale).how, buttons: texts(locale).stopButtons }]);
    expect(await bot.stores.ledger.history(bot.subject)).toEqual(before);
  });

  it.each(['en', 'fr'] as const)(
    'its buttons stop as they say: one purpose, then everything (%s)',
    async (locale) => {
      const x = texts(locale);
      const bot = startTestBot({ locale });
      await giveThree(bot);
      await bot.say(locale === 'en' ? 'how do I unsubscribe?' : 'comment me désinscrire ?');

      expect(await bot.say(x.stopOne('personalised-offers'))).toEqual([
        x.stoppedSome(['personalised-offers']),
      ]);
      expect(await bot.statuses()).toMatchObject({
        newsletter: 'pending',
        'personalised-offers': 'withdrawn',
        analytics: 'granted',
      });

      expect(await bot.say(x.stopAll)).toEqual([x.stoppedAll(['newsletter', 'analytics'])]);
      for (const id of IDS) expect((await bot.statuses())[id]).toBe('withdrawn');
    },
  );
});

describe('the stop buttons', () => {
  it.each(['en', 'fr'] as const)('each stops exactly what it says (%s)', (locale) => {
    const x = texts(locale);
    expect(detectKeywordIntent(x.stopAll, catalogue)).toEqual({
      kind: 'withdraw',
      purposeIds: 'all',
    });
    for (const id of IDS) {
      expect({ id, intent: detectKeywordIntent(x.stopOne(id), catalogue) }).toEqual({
        id,
        intent: { kind: 'withdraw', purposeIds: [id] },
      });
    }
  });
});

describe('a scoped stop withdraws exactly what it names', () => {
  it.each([
    ['stop the newsletter but keep analytics', 'en', ['newsletter']],
    [
      'stop everything except offers',
      'en',
      ['newsletter', 'analytics', 'location', 'partner-sharing'],
    ],
    ['arrêtez la newsletter mais gardez les offres', 'fr', ['newsletter']],
    [
      'arrêtez tout sauf les offres',
      'fr',
      ['newsletter', 'analytics', 'location', 'partner-sharing'],
    ],
  ] as const)('"%s" (%s)', async (stop, locale, withdrawn) => {
    const bot = startTestBot({ locale });
    await giveThree(bot);
    const before = await bot.statuses();

    const reply = await bot.say(stop);

    // The confirmation names what was withdrawn of what had been given, nothing more.
    expect(reply).toEqual([
      texts(locale).stoppedSome(
        GIVEN.filter((id) => (withdrawn as readonly string[]).includes(id)),
      ),
    ]);
    const after = await bot.statuses();
    for (const id of IDS) {
      expect({ id, status: after[id] }).toEqual({
        id,
        status: (withdrawn as readonly string[]).includes(id) ? 'withdrawn' : before[id],
      });
    }
  });
});

describe('stops as people write them withdraw at once', () => {
  it.each([
    ['i take it all back', 'en', 'all'],
    ['unsubscribe me', 'en', 'all'],
    ["I don't want your e-mails any more", 'en', ['newsletter']],
    ["c'est fini", 'fr', 'all'],
    ['arrêtez tout', 'fr', 'all'],
  ] as const)('"%s" (%s)', async (stop, locale, scope) => {
    const bot = startTestBot({ locale });
    await giveThree(bot);
    const x = texts(locale);

    const reply = await bot.say(stop);

    const withdrawn = scope === 'all' ? IDS : scope;
    expect(reply).toEqual([
      scope === 'all'
        ? x.stoppedAll(GIVEN)
        : x.stoppedSome(GIVEN.filter((id) => (withdrawn as readonly string[]).includes(id))),
    ]);
    const after = await bot.statuses();
    for (const id of withdrawn) expect(after[id]).toBe('withdrawn');
  });
});

describe('a stop with nothing given says so truthfully', () => {
  it.each([
    ['stop', 'en'],
    ['Arrête !', 'fr'],
  ] as const)(
    '"%s" (%s): no consent called withdrawn, and never asked again',
    async (stop, locale) => {
      const bot = startTestBot({ locale });
      await bot.join();

      expect(await bot.say(stop)).toEqual([texts(locale).nothing]);

      // What keeps the bot from asking again: the stop's statement, one event per purpose.
      const events = await bot.stores.ledger.history(bot.subject);
      expect(events.map((e) => [e.purposeId, e.decision, e.source])).toEqual(
        IDS.map((id) => [id, 'withdrawn', 'opt-out']),
      );
      const next = await bot.say(locale === 'en' ? 'hello' : 'bonjour');
      expect(next).toHaveLength(1);
      expect(next[0]?.buttons).toEqual([]);
    },
  );

  it('names only the consents in force when some were refused (en)', async () => {
    const bot = startTestBot();
    await bot.join();
    for (const answer of ['no', 'yes']) await bot.say(answer);
    expect(await bot.say('stop')).toEqual([texts('en').stoppedAll(['personalised-offers'])]);
  });
});
