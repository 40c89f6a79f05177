import { describe, expect, it } from 'vitest';
import type { Locale } from '../consent/catalogue.js';
import { createTranslator } from '../bot/platform/i18n.js';
import { openMemoryStores } from '../storage/stores.js';
import { sealerOf } from '../consent/chain.js';
import { catalogue, startTestBot, TEST_KEYS, type Seen } from './harness.js';

/**
 * Three turns a new customer hits early, in both languages, through the real opt-out guard and
 * bot on the memory ledger: a message the bot cannot read, a return visit, and a stop while
 * waiting for a person.
 */
const translator = createTranslator();
const controller = catalogue.controller.name;
const purpose = (id: string) => {
  const found = catalogue.purposes.find((p) => p.id === id);
  if (!found) throw new Error(`no purpose ${id} in the default catalogue`);
  return found;
};
const MAX_CHARS = 2000;

const LANGUAGES = [
  {
    locale: 'en' as Locale,
    tag: 'en-US',
    yes: 'yes',
    no: 'no',
    address: 'jane@example.com',
    person: 'I want to talk to a person',
    stopNewsletter: 'stop the newsletter',
    cont: 'continue',
  },
  {
    locale: 'fr' as Locale,
    tag: 'fr-FR',
    yes: 'oui',
    no: 'non',
    address: 'jeanne@exemple.fr',
    person: 'je veux parler à un conseiller',
    stopNewsletter: 'arrêtez la newsletter',
    cont: 'continuer',
  },
];

function texts(locale: Locale) {
  const t = translator(locale);
  return {
    t,
    buttons: ['button.agree', 'button.refuse', 'button.details', 'button.later'].map((k) => t(k)),
    question: (id: string) => purpose(id).question[locale],
  };
}

/** The open question asked again: its question last, with its four buttons. */
function expectReasked(seen: Seen | undefined, locale: Locale, id: string): void {
  const x = texts(locale);
  expect(seen?.text.endsWith(x.question(id))).toBe(true);
  expect(seen?.buttons).toEqual(x.buttons);
}

describe.each(LANGUAGES)('a message the bot cannot read ($locale)', (lang) => {
  const x = texts(lang.locale);

  it('too long: says so, then asks the open question again with its buttons', async () => {
    const bot = startTestBot({ locale: lang.tag });
    await bot.join();

    const seen = await bot.say('a'.repeat(MAX_CHARS + 1));

    expect(seen[0]).toEqual({ text: x.t('error.tooLong', { max: MAX_CHARS }), buttons: [] });
    expectReasked(seen[1], lang.locale, 'newsletter');
    expect(seen).toHaveLength(2);
    // The question is still open: a "no" answers it and is recorded.
    await bot.say(lang.no);
    expect((await bot.statuses()).newsletter).toBe('refused');
  });

  it('empty (an attachment only): says so, then asks the open question again', async () => {
    const bot = startTestBot({ locale: lang.tag });
    await bot.join();
    await bot.say(lang.no);

    const seen = await bot.say('', {
      attachments: [{ contentType: 'image/png', contentUrl: 'https://example.com/a.png' }],
    });

    expect(seen[0]).toEqual({ text: x.t('error.unsupported'), buttons: [] });
    expectReasked(seen[1], lang.locale, 'personalised-offers');
    expect(seen).toHaveLength(2);
    expect(await bot.statuses()).toMatchObject({
      newsletter: 'refused',
      'personalised-offers': 'unknown',
    });
  });

  it('before any conversation: only says so, and asks nothing yet', async () => {
    const bot = startTestBot({ locale: lang.tag });
    const seen = await bot.say('a'.repeat(MAX_CHARS + 1));
    expect(seen).toEqual([{ text: x.t('error.tooLong', { max: MAX_CHARS }), buttons: [] }]);
  });
});

describe.each(LANGUAGES)('a returning customer is greeted truthfully ($locale)', (lang) => {
  const x = texts(lang.locale);
  const back = x.t('welcome.back', { controller });
  const allMade = x.t('welcome.nothingToAsk');

  it('who decided everything: welcomed back, told all choices are made, nothing asked', async () => {
    const stores = openMemoryStores({ seal: sealerOf(TEST_KEYS.sealKey) });
    const first = startTestBot({ stores, locale: lang.tag });
    await first.join();
    for (const answer of [lang.yes, lang.address, lang.yes, lang.yes, lang.no, lang.no]) {
      await first.say(answer);
    }
    expect(Object.values(await first.statuses()).includes('unknown')).toBe(false);

    const returning = startTestBot({ stores, locale: lang.tag, conversation: 'conversation-2' });
    const opening = await returning.join();

    expect(opening.map((s) => s.text)).toEqual([
      x.t('welcome.backAllMade', { controller }),
      allMade,
    ]);
    // Nothing in the greeting says a choice is still open.
    expect(opening.map((s) => s.text)).not.toContain(back);
  });

  it('who decided some: welcomed back and asked the first open one', async () => {
    const stores = openMemoryStores({ seal: sealerOf(TEST_KEYS.sealKey) });
    const first = startTestBot({ stores, locale: lang.tag });
    await first.join();
    await first.say(lang.no);

    const returning = startTestBot({ stores, locale: lang.tag, conversation: 'conversation-2' });
    const opening = await returning.join();

    expect(opening[0]?.text).toBe(back);
    expect(opening[1]?.text.endsWith(x.question('personalised-offers'))).toBe(true);
    expect(opening.map((s) => s.text)).not.toContain(allMade);
  });
});

describe.each(LANGUAGES)('a stop while waiting for a person ($locale)', (lang) => {
  const x = texts(lang.locale);

  it('a full stop: one "continue" brings the bot back', async () => {
    const bot = startTestBot({ locale: lang.tag });
    await bot.join();
    await bot.say(lang.person);
    await bot.say('stop');

    const once = await bot.say(lang.cont);

    expect(once.map((s) => s.text)).toEqual([
      x.t('handoff.stoppedWaiting'),
      x.t('stopped.nothingToResume'),
    ]);
    // The bot answers again, without a second "continue".
    const asked = await bot.say(lang.person);
    expect(asked.map((s) => s.text)).toContain(x.t('handoff.toHuman.requested'));
  });

  it('a scoped stop: one "continue" asks the next open question', async () => {
    const bot = startTestBot({ locale: lang.tag });
    await bot.join();
    await bot.say(lang.person);
    await bot.say(lang.stopNewsletter);
    expect((await bot.statuses()).newsletter).toBe('withdrawn');

    const once = await bot.say(lang.cont);

    expect(once[0]?.text).toBe(x.t('handoff.stoppedWaiting'));
    expect(once[1]?.text.endsWith(x.question('personalised-offers'))).toBe(true);
    expect(once[1]?.buttons).toEqual(x.buttons);
    await bot.say(lang.yes);
    expect((await bot.statuses())['personalised-offers']).toBe('granted');
  });
});
