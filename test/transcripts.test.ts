import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { validateKantaraReceipt } from '../consent/receipts.js';
import { LOCALES, type Locale } from '../consent/catalogue.js';
import { StoreUnavailableError } from '../consent/ledger.js';
import { createTranslator, listOf } from '../bot/platform/i18n.js';
import { OPT_OUT_REASONS } from '../consent/opt-out-reasons.js';
import { openEmbeddedStores, openMemoryStores, type Stores } from '../storage/stores.js';
import {
  allText,
  catalogue,
  startTestBot,
  temporaryFolder,
  type Seen,
  type TestBot,
} from './harness.js';
import { INVISIBLE } from './opt-out-phrasings.js';

const translator = createTranslator();
const purpose = (id: string) => {
  const found = catalogue.purposes.find((p) => p.id === id);
  if (!found) throw new Error(`no purpose ${id} in the default catalogue`);
  return found;
};
const IDS = catalogue.purposes.map((p) => p.id);

/** The exact texts a person should see, built from the same locale files and catalogue. */
function texts(locale: Locale) {
  const t = translator(locale);
  const title = (id: string) => purpose(id).title[locale];
  return {
    t,
    welcome: t('welcome.new', { controller: catalogue.controller.name }),
    welcomeBack: t('welcome.back', { controller: catalogue.controller.name }),
    question: (id: string) => purpose(id).question[locale],
    given: (id: string) => t('decision.given', { title: title(id) }),
    refused: (id: string) => t('decision.refused', { title: title(id) }),
    details: (id: string) =>
      t('purpose.details', { title: title(id), details: purpose(id).details[locale] }),
    stoppedAll: t('optOut.all', { purposes: listOf(locale, IDS.map(title)) }),
    /**
     * A full stop with nothing given: no consent is called withdrawn, it says so; with the
     * optional one-tap "why?" in the same message.
     */
    stopReply: {
      text: `${t('optOut.nothing')}\n\n${t('optOut.why')}`,
      buttons: OPT_OUT_REASONS.map((reason) => t(`reason.${reason}`)),
    },
    /** A full stop: the consents that were in force named, and the one-tap "why?". */
    stopReplyFor: (ids: string[]) => ({
      text: `${t('optOut.all', { purposes: listOf(locale, ids.map(title)) })}\n\n${t('optOut.why')}`,
      buttons: OPT_OUT_REASONS.map((reason) => t(`reason.${reason}`)),
    }),
    addressAsk: (id: string) => t('address.ask', { title: title(id) }),
    sent: (id: string, address: string) =>
      t('address.sent', { title: title(id), address, hours: 48 }),
    stoppedSome: (ids: string[]) => t('optOut.some', { purposes: listOf(locale, ids.map(title)) }),
    buttons: ['button.agree', 'button.refuse', 'button.details', 'button.later'].map((k) => t(k)),
    explicitButtons: ['button.agreeExplicitly', 'button.refuse', 'button.details'].map((k) => t(k)),
  };
}

/** A full presentation of a purpose: its question last, with the four buttons. */
function expectAsked(seen: Seen | undefined, locale: Locale, id: string): void {
  const x = texts(locale);
  expect(seen?.text).toContain(purpose(id).explanation[locale]);
  expect(seen?.text.endsWith(x.question(id))).toBe(true);
  expect(seen?.buttons).toEqual(x.buttons);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each<[Locale, string]>([
  ['en', 'en-US'],
  ['fr', 'fr-FR'],
])('a full opt-in with mixed answers (%s)', (locale, tag) => {
  const words =
    locale === 'en'
      ? {
          yes: 'yes',
          no: 'No',
          more: 'tell me more',
          hello: 'hello',
          ok: 'ok',
          thanks: 'thanks, bye',
          unsure: 'hmm not sure',
          agree: 'I agree',
          later: 'ask me later',
        }
      : {
          yes: 'oui',
          no: 'Non',
          more: 'en savoir plus',
          hello: 'bonjour',
          ok: "d'accord",
          thanks: 'merci !',
          unsure: 'je sais pas',
          agree: "J'accepte",
          later: 'plus tard',
        };

  it('asks purpose by purpose, records only clear answers, and ends with a summary', async () => {
    const bot = startTestBot({ locale: tag });
    const x = texts(locale);

    const opening = await bot.join();
    expect(opening[0]?.text).toBe(x.welcome);
    expect(opening[0]?.text).toContain(catalogue.controller.name);
    expectAsked(opening[1], locale, 'newsletter');
    expect(await bot.statuses()).toEqual(Object.fromEntries(IDS.map((id) => [id, 'unknown'])));

    // Double opt-in: an e-mail purpose asks for the address, and records nothing before it.
    const afterYes = await bot.say(words.yes);
    expect(afterYes.map((s) => s.text)).toEqual([x.addressAsk('newsletter')]);
    expect((await bot.statuses()).newsletter).toBe('unknown');
    const afterAddress = await bot.say('jane@example.com');
    expect(afterAddress[0]?.text).toBe(x.sent('newsletter', 'j***@example.com'));
    expectAsked(afterAddress[1], locale, 'personalised-offers');

    const more = await bot.say(words.more);
    expect(more.map((s) => s.text)).toEqual([
      x.details('personalised-offers'),
      x.question('personalised-offers'),
    ]);

    const afterNo = await bot.say(words.no);
    expect(afterNo[0]?.text).toBe(x.refused('personalised-offers'));
    expectAsked(afterNo[1], locale, 'analytics');

    // A greeting, thanks or "ok" is never a yes: silence is not consent (GDPR recital 32). It gets
    // a friendly word and the question again, however often it comes.
    for (const notAnAnswer of [words.hello, words.ok, words.thanks, '👍']) {
      const reply = await bot.say(notAnAnswer);
      expect(reply.map((s) => s.text)).toEqual([x.t('greeting.reply'), x.question('analytics')]);
    }
    // Hesitation records nothing and offers to say more or to ask later.
    const unsure = await bot.say(words.unsure);
    expect(unsure.map((s) => s.text)).toEqual([x.t('purpose.hesitation'), x.question('analytics')]);
    expect(unsure[1]?.buttons).toEqual(x.buttons);
    expect((await bot.statuses()).analytics).toBe('unknown');

    expect((await bot.say(words.yes))[0]?.text).toBe(x.given('analytics'));

    // Location needs an express statement (explicit consent); a plain yes records nothing.
    const explicit = await bot.say(words.yes);
    expect(explicit).toHaveLength(1);
    expect(explicit[0]?.buttons).toEqual(x.explicitButtons);
    expect((await bot.statuses()).location).toBe('unknown');
    const agreed = await bot.say(words.agree);
    expect(agreed[0]?.text).toBe(x.given('location'));
    expectAsked(agreed[1], locale, 'partner-sharing');

    const end = await bot.say(words.later);
    expect(end[0]?.text).toBe(x.t('purpose.postponed'));
    expect(end[1]?.text).toContain(x.t('summary.intro'));
    expect(end[1]?.text).toContain(purpose('partner-sharing').title[locale]);
    expect(end[2]?.text).toBe(x.t('summary.howToChange'));

    expect(await bot.statuses()).toEqual({
      newsletter: 'pending',
      'personalised-offers': 'refused',
      analytics: 'granted',
      location: 'granted',
      'partner-sharing': 'unknown',
    });
    const history = await bot.stores.ledger.history(bot.subject);
    expect(history.map((e) => [e.purposeId, e.decision, e.explicit, e.locale])).toEqual([
      ['newsletter', 'given', false, locale],
      ['personalised-offers', 'refused', false, locale],
      ['analytics', 'given', false, locale],
      ['location', 'given', true, locale],
    ]);
  });

  it('keeps, for every decision, the exact text the person was shown', async () => {
    const bot = startTestBot({ locale: tag });
    const opening = await bot.join();
    await bot.say(words.yes);
    await bot.say('jane@example.com');
    const [event] = await bot.stores.ledger.history(bot.subject);
    expect(event?.noticeHash).toMatch(/^[0-9a-f]{64}$/);
    const notice = await bot.stores.notices.get(event?.noticeHash ?? '');
    expect(notice?.text).toBe(opening[1]?.text);
    expect(notice).toMatchObject({
      purposeId: 'newsletter',
      locale,
      catalogueVersion: catalogue.version,
    });
    expect(event).toMatchObject({
      catalogueVersion: catalogue.version,
      purposeVersion: purpose('newsletter').version,
      channelId: 'test',
      conversationId: 'conversation-1',
      source: 'conversation',
    });
    expect(Date.parse(event?.recordedAt ?? '')).not.toBeNaN();
  });
});

describe('questions at any point', () => {
  it.each<[Locale, string, string, string]>([
    ['en', 'en-US', 'How long do you keep it?', 'Who do you share it with?'],
    ['fr', 'fr-FR', 'Combien de temps les gardez-vous ?', 'Avec qui les partagez-vous ?'],
  ])(
    'answers from the data map, then asks the open question again (%s)',
    async (locale, tag, howLong, whoWith) => {
      const bot = startTestBot({ locale: tag });
      const x = texts(locale);
      await bot.join();
      const retention = await bot.say(howLong);
      expect(retention.map((s) => s.text)).toEqual([
        x.t('answer.retention.line', {
          title: purpose('newsletter').title[locale],
          retention: purpose('newsletter').retention[locale],
        }),
        x.question('newsletter'),
      ]);
      const recipients = await bot.say(whoWith);
      expect(recipients[0]?.text).toContain(purpose('newsletter').recipients[locale]);
      expect(recipients[1]?.text).toBe(x.question('newsletter'));
      expect((await bot.say(locale === 'en' ? 'yes' : 'oui'))[0]?.text).toBe(
        x.addressAsk('newsletter'),
      );
    },
  );

  it('answers "what do you collect and why?" with every purpose, its data and its reason', async () => {
    const bot = startTestBot();
    await bot.join();
    const [answer, again] = await bot.say('What do you collect and why?');
    for (const p of catalogue.purposes) {
      expect(answer?.text).toContain(p.title.en);
      expect(answer?.text).toContain(p.explanation.en);
    }
    expect(again?.text).toBe(texts('en').question('newsletter'));
  });

  it('answers "why do you need my location?" about location, whatever is being asked', async () => {
    const bot = startTestBot();
    await bot.join();
    const [answer] = await bot.say('why do you need my location?');
    expect(answer?.text).toContain(purpose('location').explanation.en);
    expect(answer?.text).not.toContain(purpose('newsletter').explanation.en);
  });

  /**
   * GDPR art. 13(2)(a)-(d): every right and how to use it here, the authority to complain to, and
   * how long this chat is kept, with the configured retention (not the default) to prove it is
   * the real setting that the customer reads.
   */
  it.each(['en', 'fr'] as const)(
    'lists every right, how to use it here, the CNIL and the chat retention (%s)',
    async (locale) => {
      const bot = startTestBot({ locale, env: { TRANSCRIPT_RETENTION_DAYS: '30' } });
      await bot.join();
      const x = texts(locale);
      const seen = allText(
        await bot.say(locale === 'fr' ? 'quels sont mes droits ?' : 'what are my rights?'),
      );
      for (const right of ['access', 'erasure', 'receipt', 'withdraw', 'object']) {
        expect(seen).toContain(x.t(`answer.rightsList.${right}`));
      }
      const authority = catalogue.supervisoryAuthority;
      expect(seen).toContain(authority.name[locale]);
      expect(seen).toContain(authority.url[locale]);
      expect(seen).toContain(x.t('answer.rightsList.retention', { count: 30 }));
      expect(seen).toContain(catalogue.controller.contact);
      expect(seen).toMatch(locale === 'fr' ? /30 jours/ : /30 days/);
      expect(seen).not.toMatch(/90/);

      const help = allText(await bot.say(locale === 'fr' ? 'aide' : 'help'));
      expect(help).toContain(x.t('help.rights', { count: 30 }));
      expect(help).toMatch(locale === 'fr' ? /30 jours/ : /30 days/);
    },
  );

  it('says who the controller is and how to withdraw (GDPR art. 7(3), 13)', async () => {
    const bot = startTestBot();
    await bot.join();
    expect(allText(await bot.say('who are you?'))).toContain(catalogue.controller.contact);
    expect(allText(await bot.say('what are my rights?'))).toContain(
      texts('en').t('answer.rightsList.withdraw'),
    );
  });

  it('shows "what have I agreed to?" from the ledger, and lets a choice be changed', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('yes');
    await bot.say('jane@example.com');
    const [choices] = await bot.say('What have I agreed to?');
    expect(choices?.text).toContain(
      `${purpose('newsletter').title.en}: ${texts('en').t('status.pending')}`,
    );
    expect(choices?.text).toContain(
      `${purpose('analytics').title.en}: ${texts('en').t('status.unknown')}`,
    );

    // Change a choice mid-round: asked now, then the round goes on.
    const change = await bot.say('change my newsletter choice');
    expectAsked(change[0], 'en', 'newsletter');
    expect((await bot.say('no'))[0]?.text).toBe(texts('en').refused('newsletter'));
    expect((await bot.statuses()).newsletter).toBe('refused');
    const history = await bot.stores.ledger.history(bot.subject);
    expect(history.map((e) => e.decision)).toEqual(['given', 'refused']);
  });

  it('never leaves a dead end: anything unclear lists what can be said', async () => {
    const bot = startTestBot();
    await bot.join();
    for (const _id of IDS) await bot.say('no');
    const reply = await bot.say('blue cheese');
    expect(reply.map((s) => s.text)).toEqual([texts('en').t('help.afterChoices')]);
    expect((await bot.say('help'))[0]?.text).toBe(
      `${texts('en').t('help.general')}\n${texts('en').t('help.rights', { count: 90 })}`,
    );
  });
});

describe('language', () => {
  it('follows the activity locale, and falls back to the default for a language it does not speak', async () => {
    expect((await startTestBot({ locale: 'fr-CA' }).join())[0]?.text).toBe(texts('fr').welcome);
    expect((await startTestBot({ locale: 'de-DE' }).join())[0]?.text).toBe(texts('en').welcome);
    expect(
      (await startTestBot({ locale: 'de-DE', env: { DEFAULT_LOCALE: 'fr' } }).join())[0]?.text,
    ).toBe(texts('fr').welcome);
  });

  it('switches when asked, mid-question, and records the language of each decision', async () => {
    const bot = startTestBot({ locale: 'en-US' });
    await bot.join();
    const switched = await bot.say('en français');
    expect(switched.map((s) => s.text)).toEqual([
      texts('fr').t('language.switched'),
      texts('fr').question('newsletter'),
    ]);
    expect(switched[1]?.buttons).toEqual(texts('fr').buttons);
    expect((await bot.say('oui'))[0]?.text).toBe(texts('fr').addressAsk('newsletter'));
    expect((await bot.say('jeanne@exemple.fr'))[0]?.text).toBe(
      texts('fr').sent('newsletter', 'j***@exemple.fr'),
    );
    const back = await bot.say('in English please');
    expect(back[0]?.text).toBe(texts('en').t('language.switched'));
    expect((await bot.say('no'))[0]?.text).toBe(texts('en').refused('personalised-offers'));
    const history = await bot.stores.ledger.history(bot.subject);
    expect(history.map((e) => e.locale)).toEqual(['fr', 'en']);
  });
});

describe('withdrawal from every state (GDPR art. 7(3))', () => {
  type Reach = (bot: ReturnType<typeof startTestBot>) => Promise<void>;
  const states: [string, Reach][] = [
    ['before anything was said', async () => {}],
    [
      'at the welcome, asking the first purpose',
      async (bot) => {
        await bot.join();
      },
    ],
    [
      'after a digression',
      async (bot) => {
        await bot.join();
        await bot.say('how long do you keep it?');
      },
    ],
    [
      'mid-round, after some decisions',
      async (bot) => {
        await bot.join();
        for (const answer of ['yes', 'jane@example.com', 'yes']) await bot.say(answer);
      },
    ],
    [
      'waiting for an e-mail address',
      async (bot) => {
        await bot.join();
        await bot.say('yes');
      },
    ],
    [
      'waiting for an express statement',
      async (bot) => {
        await bot.join();
        for (const answer of ['yes', 'jane@example.com', 'yes', 'yes', 'yes']) {
          await bot.say(answer);
        }
      },
    ],
    [
      'after the summary',
      async (bot) => {
        await bot.join();
        for (const answer of ['no', 'no', 'yes', 'no', 'no']) await bot.say(answer);
      },
    ],
    [
      'asked to confirm an erasure',
      async (bot) => {
        await bot.join();
        await bot.say('yes');
        await bot.say('jane@example.com');
        await bot.say('delete my data');
      },
    ],
    [
      'already stopped',
      async (bot) => {
        await bot.join();
        await bot.say('no');
        await bot.say('yes');
        await bot.say('stop');
      },
    ],
  ];

  it.each(
    states.flatMap(([name, reach]) => [
      [name, 'stop', 'en', reach] as const,
      [name, 'Arrête !', 'fr', reach] as const,
    ]),
  )(
    '%s: "%s" (%s) withdraws everything, durably, with one confirmation',
    async (_name, stop, locale, reach) => {
      const bot = startTestBot({ locale });
      await reach(bot);
      const before = await bot.statuses();
      const inForce = IDS.filter((id) => before[id] === 'granted' || before[id] === 'pending');
      const reply = await bot.say(stop);
      // The confirmation names only the consents that were in force, or says there were none.
      expect(reply).toEqual([
        inForce.length > 0 ? texts(locale).stopReplyFor(inForce) : texts(locale).stopReply,
      ]);
      const after = await bot.statuses();
      // A stop is stronger than a refusal: a refused purpose is withdrawn too, never asked again
      // unprompted (a refusal would be asked again after the pause).
      for (const id of IDS) expect(after[id]).toBe('withdrawn');
      // Nothing further is sent until the person writes again, and then no question is asked.
      const next = await bot.say(locale === 'en' ? 'hello' : 'bonjour');
      expect(next).toHaveLength(1);
      expect(next[0]?.buttons).toEqual([]);
      expect(await bot.statuses()).toEqual(after);
    },
  );

  it('withdraws only the purpose named, and can resume the round afterwards', async () => {
    const bot = startTestBot();
    await bot.join();
    for (const answer of ['yes', 'jane@example.com', 'yes']) await bot.say(answer);
    const reply = await bot.say('please stop the newsletter');
    expect(reply).toEqual([{ text: texts('en').stoppedSome(['newsletter']), buttons: [] }]);
    expect(await bot.statuses()).toMatchObject({
      newsletter: 'withdrawn',
      'personalised-offers': 'granted',
      analytics: 'unknown',
    });
    const events = await bot.stores.ledger.history(bot.subject);
    expect(events.at(-1)).toMatchObject({
      purposeId: 'newsletter',
      decision: 'withdrawn',
      source: 'opt-out',
    });
    expect(events.map((e) => e.decision)).toEqual(['given', 'given', 'withdrawn']);
    const resumed = await bot.say('continue');
    expectAsked(resumed[0], 'en', 'analytics');
  });

  it('START after a stop begins a fresh opt-in: new decisions, the withdrawal stays in the ledger', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('yes');
    await bot.say('jane@example.com');
    await bot.say('STOP');
    const restart = await bot.say('START');
    expectAsked(restart[0], 'en', 'newsletter');
    expect((await bot.statuses()).newsletter).toBe('withdrawn');
    await bot.say('yes');
    await bot.say('jane@example.com');
    const history = await bot.stores.ledger.history(bot.subject);
    expect(history.filter((e) => e.purposeId === 'newsletter').map((e) => e.decision)).toEqual([
      'given',
      'withdrawn',
      'given',
    ]);
  });

  it('obeys a stop carried by a card submission', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('no');
    await bot.say('yes');
    const reply = await bot.say('', { value: { text: 'unsubscribe' } });
    expect(reply).toEqual([texts('en').stopReplyFor(['personalised-offers'])]);
    expect((await bot.statuses())['personalised-offers']).toBe('withdrawn');
  });

  it.each(INVISIBLE)(
    'obeys a stop with a %s inside the word, and records it in the ledger',
    async (_name, char) => {
      for (const [stop, locale] of [
        [`ST${char}OP`, 'en'],
        [`Arr${char}ê${char}te !`, 'fr'],
        [`unsub${char}scribe me`, 'en'],
      ] as const) {
        const bot = startTestBot({ locale });
        await bot.join();
        await bot.say(locale === 'en' ? 'no' : 'non');
        await bot.say(locale === 'en' ? 'yes' : 'oui');
        expect({ stop, reply: await bot.say(stop) }).toEqual({
          stop,
          reply: [texts(locale).stopReplyFor(['personalised-offers'])],
        });
        const history = await bot.stores.ledger.history(bot.subject);
        expect(history.filter((e) => e.source === 'opt-out').map((e) => e.purposeId)).toEqual(IDS);
        expect(await bot.statuses()).toEqual(
          Object.fromEntries(IDS.map((id) => [id, 'withdrawn'])),
        );
      }
    },
  );

  it('obeys a stop with an invisible character carried by a card submission', async () => {
    const bot = startTestBot();
    await bot.join();
    const reply = await bot.say('', { value: { text: 'st\u200Bop' } });
    expect(reply).toEqual([texts('en').stopReply]);
    expect(await bot.statuses()).toEqual(Object.fromEntries(IDS.map((id) => [id, 'withdrawn'])));
  });
});

describe('why people leave', () => {
  it.each(LOCALES.flatMap((locale) => OPT_OUT_REASONS.map((reason) => [locale, reason] as const)))(
    'in %s, the "%s" button after a stop records that reason, not another stop',
    async (locale, reason) => {
      const bot = startTestBot({ locale });
      await bot.join();
      const [stopped] = await bot.say('stop');
      const button = texts(locale).t(`reason.${reason}`);
      expect(stopped?.buttons).toContain(button);
      expect(await bot.say(button)).toEqual([
        { text: texts(locale).t('optOut.reasonThanks'), buttons: [] },
      ]);
      const day = new Date();
      const counts = await bot.stores.reasons.summary(day, day);
      expect(counts.map((c) => [c.reason, c.count])).toEqual([[reason, 1]]);
    },
  );
});

describe.each<[Locale, string]>([
  ['en', 'en-US'],
  ['fr', 'fr-FR'],
])("answers in the customer's own words (%s)", (locale, tag) => {
  const words =
    locale === 'en'
      ? {
          yes: 'yeah go ahead',
          notBad: 'not bad',
          question: 'yes?',
          no: 'no way',
          yes2: 'absolutely',
          yes3: 'sure, go ahead',
          express: 'yes, I agree to that',
          no2: 'not interested',
        }
      : {
          yes: 'ouais ça marche',
          notBad: 'pas mal',
          question: 'oui ?',
          no: 'pas question',
          yes2: 'je veux bien',
          yes3: "oui d'accord",
          express: "d'accord, j'accepte",
          no2: "ça m'intéresse pas",
        };

  it('records a clear yes or no, nothing for a trap, and an express statement where needed', async () => {
    const bot = startTestBot({ locale: tag });
    const x = texts(locale);
    await bot.join();

    expect((await bot.say(words.yes)).map((s) => s.text)).toEqual([x.addressAsk('newsletter')]);
    await bot.say('jane@example.com');

    // Neither is a yes: "not bad" holds a negation, "yes?" is a question.
    expect((await bot.say(words.notBad)).map((s) => s.text)).toEqual([
      x.t('help.duringQuestion'),
      x.question('personalised-offers'),
    ]);
    expect((await bot.say(words.question)).map((s) => s.text)).toEqual([
      x.t('help.duringQuestion'),
      x.t('help.reachPerson'),
      x.question('personalised-offers'),
    ]);
    expect((await bot.statuses())['personalised-offers']).toBe('unknown');

    expect((await bot.say(words.no))[0]?.text).toBe(x.refused('personalised-offers'));
    expect((await bot.say(words.yes2))[0]?.text).toBe(x.given('analytics'));
    // Location needs its express statement: a natural yes is not one.
    const plain = await bot.say(words.yes3);
    expect(plain).toHaveLength(1);
    expect(plain[0]?.buttons).toEqual(x.explicitButtons);
    expect((await bot.statuses()).location).toBe('unknown');
    expect((await bot.say(words.express))[0]?.text).toBe(x.given('location'));
    expect((await bot.say(words.no2))[0]?.text).toBe(x.refused('partner-sharing'));

    const history = await bot.stores.ledger.history(bot.subject);
    expect(history.map((e) => [e.purposeId, e.decision, e.explicit])).toEqual([
      ['newsletter', 'given', false],
      ['personalised-offers', 'refused', false],
      ['analytics', 'given', false],
      ['location', 'given', true],
      ['partner-sharing', 'refused', false],
    ]);
  });

  it('answers a first "hello" with the welcome and the first question, never a reproach', async () => {
    const bot = startTestBot({ locale: tag });
    const x = texts(locale);
    const replies = (await bot.say(locale === 'en' ? 'hello' : 'bonjour')).map((s) => s.text);
    expect(replies).not.toContain(x.t('help.duringQuestion'));
    expect(replies[0]).toBe(x.welcome);
    expect(replies.at(-1)?.endsWith(x.question('newsletter'))).toBe(true);
    expect(await bot.statuses()).toEqual(Object.fromEntries(IDS.map((id) => [id, 'unknown'])));
  });
});

describe('buttons and cards', () => {
  it('takes a card submission for the open question, and ignores one from an older card', async () => {
    const bot = startTestBot();
    await bot.join();
    const stale = await bot.say('', { value: { intent: 'agree', purposeId: 'analytics' } });
    expect(stale[0]?.text).toBe(texts('en').t('help.duringQuestion'));
    expect((await bot.statuses()).analytics).toBe('unknown');
    const fresh = await bot.say('', { value: { intent: 'agree', purposeId: 'newsletter' } });
    expect(fresh[0]?.text).toBe(texts('en').addressAsk('newsletter'));
  });

  it('the words on every button are understood when sent back (imBack)', async () => {
    for (const locale of ['en', 'fr'] as const) {
      const bot = startTestBot({ locale });
      const [, first] = await bot.join();
      const [yes, no, more, later] = first?.buttons ?? [];
      expect((await bot.say(more ?? ''))[0]?.text).toBe(texts(locale).details('newsletter'));
      const address = await bot.say(yes ?? '');
      expect(address[0]?.text).toBe(texts(locale).addressAsk('newsletter'));
      const [noAddress] = address[0]?.buttons ?? [];
      expect((await bot.say(noAddress ?? ''))[0]?.text).toBe(texts(locale).t('address.notGiven'));
      expect((await bot.say(no ?? ''))[0]?.text).toBe(texts(locale).refused('personalised-offers'));
      expect((await bot.say(later ?? ''))[0]?.text).toBe(texts(locale).t('purpose.postponed'));
    }
  });
});

describe('bad input and a store that is down', () => {
  it('refuses an oversized message with a clear reply and changes nothing', async () => {
    const bot = startTestBot({ env: { MAX_MESSAGE_CHARS: '100' } });
    await bot.join();
    const reply = await bot.say(`yes ${'x'.repeat(200)}`);
    // Said why, then the open question again with its buttons, so the next answer answers it.
    expect(reply).toEqual([
      { text: texts('en').t('error.tooLong', { max: 100 }), buttons: [] },
      { text: texts('en').question('newsletter'), buttons: texts('en').buttons },
    ]);
    expect(await bot.stores.ledger.history(bot.subject)).toEqual([]);
    expect((await bot.say('no'))[0]?.text).toBe(texts('en').refused('newsletter'));
  });

  it('answers bad input in the language of the conversation, not of the client', async () => {
    const bot = startTestBot({ locale: 'en-US', env: { MAX_MESSAGE_CHARS: '100' } });
    await bot.join();
    await bot.say('en français');
    const reply = await bot.say('x'.repeat(200));
    expect(reply).toEqual([
      { text: texts('fr').t('error.tooLong', { max: 100 }), buttons: [] },
      { text: texts('fr').question('newsletter'), buttons: texts('fr').buttons },
    ]);
  });

  it('says it can only read text when a message has none', async () => {
    const bot = startTestBot();
    await bot.join();
    const reply = await bot.say('', {
      attachments: [{ contentType: 'image/png', contentUrl: 'https://example.com/a.png' }],
    });
    expect(reply).toEqual([
      { text: texts('en').t('error.unsupported'), buttons: [] },
      { text: texts('en').question('newsletter'), buttons: texts('en').buttons },
    ]);
  });

  it('answers a redelivered activity once, and records its decision once', async () => {
    const bot = startTestBot();
    await bot.join();
    expect(await bot.say('no', { id: 'activity-42' })).toHaveLength(2);
    expect(await bot.say('no', { id: 'activity-42' })).toEqual([]);
    expect(await bot.stores.ledger.history(bot.subject)).toHaveLength(1);
    expect((await bot.statuses())['personalised-offers']).toBe('unknown');
  });

  it('records a stop that reuses the id of an earlier "yes", and only then confirms it', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('no');
    await bot.say('yes', { id: 'reused-id' });
    expect((await bot.statuses())['personalised-offers']).toBe('granted');
    // A client (or an attacker) reuses the id: this is another message, not a redelivery.
    expect(await bot.say('stop', { id: 'reused-id' })).toEqual([
      texts('en').stopReplyFor(['personalised-offers']),
    ]);
    const statuses = await bot.statuses();
    for (const id of IDS) expect(statuses[id]).toBe('withdrawn');
    const stops = (await bot.stores.ledger.history(bot.subject)).filter(
      (e) => e.activityId === 'reused-id',
    );
    expect(stops.map((e) => e.decision)).toEqual(['given', ...IDS.map(() => 'withdrawn')]);
  });

  function flakyLedger(stores: Stores): { stores: Stores; down: (isDown: boolean) => void } {
    let isDown = false;
    const ledger: Stores['ledger'] = {
      append: (decisions, at, options) =>
        isDown
          ? Promise.reject(new StoreUnavailableError('down for the test'))
          : stores.ledger.append(decisions, at, options),
      head: (subject) => stores.ledger.head(subject),
      history: (subject) => stores.ledger.history(subject),
      latest: (subject) => stores.ledger.latest(subject),
      search: (query, page) => stores.ledger.search(query, page),
      scan: (query, order) => stores.ledger.scan(query, order),
      countDecisions: (query, period) => stores.ledger.countDecisions(query, period),
    };
    return { stores: { ...stores, ledger }, down: (value) => (isDown = value) };
  }

  it('never claims a consent it could not store, and the same answer works once the store is back', async () => {
    const flaky = flakyLedger(openMemoryStores());
    const bot = startTestBot({ stores: flaky.stores });
    await bot.join();
    flaky.down(true);
    expect(await bot.say('no')).toEqual([
      { text: texts('en').t('error.notRecorded'), buttons: [] },
    ]);
    expect((await bot.statuses()).newsletter).toBe('unknown');
    flaky.down(false);
    expect((await bot.say('no'))[0]?.text).toBe(texts('en').refused('newsletter'));
  });

  it('tells the person when a stop could not be recorded, and nothing else', async () => {
    const flaky = flakyLedger(openMemoryStores());
    const bot = startTestBot({ stores: flaky.stores });
    await bot.join();
    await bot.say('no');
    await bot.say('yes');
    flaky.down(true);
    const reply = await bot.say('stop');
    expect(reply).toEqual([
      {
        text: texts('en').t('optOut.failed', { contact: catalogue.controller.contact }),
        buttons: [],
      },
    ]);
    flaky.down(false);
    expect(await bot.say('stop')).toEqual([texts('en').stopReplyFor(['personalised-offers'])]);
    expect((await bot.statuses())['personalised-offers']).toBe('withdrawn');
  });
});

describe('the transcript of a conversation', () => {
  it('keeps every message in and out, in order, redacted, the stop and its confirmation included', async () => {
    const bot = startTestBot();
    const out = (seen: Seen[]) => seen.map((s) => `out: ${s.text}`);
    const opening = await bot.join();
    const afterYes = await bot.say('yes');
    const afterStop = await bot.say('STOP, and my number is 06 12 34 56 78');
    expect(afterStop).toEqual([texts('en').stopReply]);

    const page = await bot.stores.transcripts.getTranscriptActivities('test', 'conversation-1');
    // A conversationUpdate has no text, whatever botbuilder's type says.
    const textOf = (a: { text?: unknown }) => (typeof a.text === 'string' ? a.text : '');
    const lines = page.items.map((a) => `${a.from.id === 'user-1' ? 'in' : 'out'}: ${textOf(a)}`);
    expect(lines).toEqual([
      'in: ',
      ...out(opening),
      'in: yes',
      ...out(afterYes),
      'in: STOP, and my number is [phone]',
      ...out(afterStop),
    ]);
    expect(JSON.stringify(page.items)).not.toContain('06 12 34 56 78');
  });
});

describe('a restarted server remembers every decision', () => {
  it('keeps decisions and the open conversation across a restart of the embedded store', async () => {
    const folder = temporaryFolder();
    cleanups.push(folder.remove);
    const first = openEmbeddedStores(folder.path);
    const before = startTestBot({ stores: first });
    await before.join();
    await before.say('yes');
    await before.say('jane@example.com');
    await before.say('no');
    await first.close();

    const second = openEmbeddedStores(folder.path);
    cleanups.push(() => second.close());
    // Same conversation: it goes on with the question that was open.
    const resumed = startTestBot({ stores: second });
    expect((await resumed.say('yes'))[0]?.text).toBe(texts('en').given('analytics'));
    expect(await resumed.statuses()).toMatchObject({
      newsletter: 'pending',
      'personalised-offers': 'refused',
      analytics: 'granted',
    });

    // A new conversation of the same person is not asked again what they already decided.
    const returning = startTestBot({ stores: second, conversation: 'conversation-2' });
    const opening = await returning.join();
    expect(opening[0]?.text).toBe(texts('en').welcomeBack);
    expectAsked(opening[1], 'en', 'location');
  });
});

/** Every activity the bot sent for one incoming activity, as the channel gets it. */
async function exchange(bot: TestBot, activity: Partial<Activity>): Promise<Partial<Activity>[]> {
  await bot.adapter.receiveActivity({ id: randomUUID(), type: 'message', ...activity });
  return bot.adapter.activeQueue.splice(0);
}
const handoffStatus = (value: unknown): Partial<Activity> => ({
  type: 'event',
  name: 'handoff.status',
  value,
});

describe('the receipt in chat', () => {
  it.each<[Locale, string, string[], string]>([
    ['en', 'en-US', ['yes', 'jane@example.com', 'no', 'yes'], 'Can I have my receipt?'],
    ['fr', 'fr-FR', ['oui', 'jeanne@exemple.fr', 'non', 'oui'], 'la preuve de mon consentement'],
  ])(
    'sums up the decisions and attaches a valid Kantara receipt per consent, then re-asks (%s)',
    async (locale, tag, answers, ask) => {
      const bot = startTestBot({ locale: tag });
      const x = texts(locale);
      await bot.join();
      for (const answer of answers) await bot.say(answer);
      const replies = await exchange(bot, { text: ask });
      expect(replies).toHaveLength(2);
      const [summary, again] = replies;

      const history = await bot.stores.ledger.history(bot.subject);
      const day = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
      const line = (id: string, status: string) =>
        x.t('receipt.line', {
          title: purpose(id).title[locale],
          status: x.t(`status.${status}`),
          date: day.format(new Date(history.find((e) => e.purposeId === id)?.recordedAt ?? '')),
        });
      expect(summary?.text).toBe(
        [
          x.t('receipt.intro'),
          line('newsletter', 'pending'),
          line('personalised-offers', 'refused'),
          line('analytics', 'granted'),
          '',
          x.t('receipt.attached'),
        ].join('\n'),
      );
      // Only the consent in effect has a receipt: a pending one is not yet consent.
      expect(summary?.attachments?.map((a) => [a.contentType, a.name])).toEqual([
        ['application/json', 'consent-receipt-analytics.json'],
      ]);
      const receipt = summary?.attachments?.[0]?.content as Record<string, unknown>;
      expect(validateKantaraReceipt(receipt)).toEqual([]);
      expect(receipt.piiPrincipalId).toBe(bot.subject.userId);
      expect(receipt.piiPrincipalId).toMatch(/^p:/);
      expect(receipt.language).toBe(locale);
      expect(JSON.stringify(summary?.attachments)).not.toContain('user-1');
      // The open question is asked again, and still answers as before.
      expect(again?.text).toBe(x.question('location'));
      expect(await bot.statuses()).toMatchObject({ location: 'unknown' });
    },
  );

  it('says so when there is nothing on record, without starting a round of questions', async () => {
    for (const [locale, ask] of [
      ['en', 'my receipt'],
      ['fr', 'mon reçu'],
    ] as const) {
      const bot = startTestBot({ locale });
      const replies = await exchange(bot, { text: ask });
      expect(replies.map((r) => r.text)).toEqual([texts(locale).t('receipt.nothing')]);
      expect(replies[0]?.attachments ?? []).toEqual([]);
    }
  });

  it('attaches no receipt when every decision is a no', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('no');
    const [summary] = await exchange(bot, { text: 'proof of my consent' });
    expect(summary?.text?.endsWith(texts('en').t('receipt.noConsent'))).toBe(true);
    expect(summary?.attachments ?? []).toEqual([]);
  });
});

describe('hand-off to a person', () => {
  it.each<[Locale, string, string, string]>([
    ['en', 'en-US', 'no', 'I want to talk to a person'],
    ['fr', 'fr-FR', 'non', 'je veux parler à un conseiller'],
  ])(
    'sends handoff.initiate with the redacted transcript, tells the person, then stays quiet (%s)',
    async (locale, tag, no, human) => {
      const bot = startTestBot({ locale: tag });
      const x = texts(locale);
      await bot.join();
      await bot.say(no);
      await bot.say('my number is 06 12 34 56 78');
      const replies = await exchange(bot, { text: human });
      expect(replies.map((r) => [r.type, r.name ?? r.text])).toEqual([
        ['event', 'handoff.initiate'],
        ['message', x.t('handoff.toHuman.requested')],
      ]);
      const [initiate] = replies;
      expect(initiate?.value).toEqual({
        topic: 'consent',
        purposes: ['personalised-offers'],
        locale,
        reason: 'requested',
      });
      const transcript = initiate?.attachments?.[0];
      expect(transcript?.contentType).toBe('application/json');
      const said = (transcript?.content as { activities: Activity[] }).activities
        .filter((a) => a.from.id === 'user-1' && a.type === 'message')
        .map((a) => a.text);
      expect(said).toEqual([no, 'my number is [phone]', human]);
      expect(JSON.stringify(transcript)).not.toContain('06 12 34 56 78');

      // The event is in the stored transcript too, so the hand-off itself is on record.
      const page = await bot.stores.transcripts.getTranscriptActivities('test', 'conversation-1');
      expect(page.items.some((a) => a.name === 'handoff.initiate')).toBe(true);

      // A person has the conversation: the bot answers nothing, and records nothing.
      expect(await exchange(bot, { text: locale === 'en' ? 'yes' : 'oui' })).toEqual([]);
      expect(await exchange(bot, handoffStatus({ state: 'accepted' }))).toEqual([]);
      expect(await exchange(bot, { text: 'hello?' })).toEqual([]);
      expect((await bot.statuses())['personalised-offers']).toBe('unknown');

      const back = await exchange(bot, handoffStatus({ state: 'completed' }));
      expect(back.map((r) => r.text)).toEqual([
        x.t('handoff.humanDone'),
        x.question('personalised-offers'),
      ]);
      expect((await bot.say(locale === 'en' ? 'yes' : 'oui'))[0]?.text).toBe(
        x.given('personalised-offers'),
      );
    },
  );

  it('still obeys a stop while a person has the conversation', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('no');
    await bot.say('yes');
    await bot.say('talk to a human');
    expect(await bot.say('stop')).toEqual([texts('en').stopReplyFor(['personalised-offers'])]);
    expect(await bot.statuses()).toMatchObject({
      newsletter: 'withdrawn',
      'personalised-offers': 'withdrawn',
    });
    expect(await exchange(bot, { text: 'hello' })).toEqual([]);
    const back = await exchange(bot, handoffStatus({ state: 'completed' }));
    expect(back.map((r) => r.text)).toEqual([texts('en').t('handoff.humanDone')]);
    expect((await bot.say('hello'))[0]?.text).toBe(texts('en').t('stopped.reminder'));
  });

  it('never hands over on unclear answers: says how to reach a person, hands over when asked', async () => {
    const bot = startTestBot();
    const x = texts('en');
    await bot.join();
    expect((await bot.say('blue cheese')).map((s) => s.text)).toEqual([
      x.t('help.duringQuestion'),
      x.question('newsletter'),
    ]);
    for (const unclear of ['purple monkey dishwasher', 'thanks but', 'oui please?']) {
      const replies = await exchange(bot, { text: unclear });
      expect(replies.map((r) => r.name ?? r.text)).toEqual([
        x.t('help.duringQuestion'),
        x.t('help.reachPerson'),
        x.question('newsletter'),
      ]);
    }
    expect((await bot.statuses()).newsletter).toBe('unknown');
    const replies = await exchange(bot, { text: 'talk to a person' });
    expect(replies.map((r) => r.name ?? r.text)).toEqual([
      'handoff.initiate',
      x.t('handoff.toHuman.requested'),
    ]);
    expect(replies[0]?.value).toMatchObject({ reason: 'requested' });

    // No one is available: the bot says so and asks its question again.
    const failed = await exchange(bot, handoffStatus({ state: 'failed', message: 'closed' }));
    expect(failed.map((r) => r.text)).toEqual([
      x.t('handoff.noOneAvailable'),
      x.question('newsletter'),
    ]);
    expect((await bot.say('no'))[0]?.text).toBe(x.refused('newsletter'));
  });

  it('lets the customer carry on with the bot while no person has taken over (fr)', async () => {
    const bot = startTestBot({ locale: 'fr-FR' });
    const x = texts('fr');
    await bot.join();
    await bot.say('un conseiller svp');
    expect(await exchange(bot, { text: 'oui' })).toEqual([]);
    const back = await exchange(bot, { text: 'continuer' });
    expect(back.map((r) => r.text)).toEqual([
      x.t('handoff.stoppedWaiting'),
      x.question('newsletter'),
    ]);
    expect((await bot.say('non'))[0]?.text).toBe(x.refused('newsletter'));
  });

  it('ignores malformed or unknown hand-off statuses, and goes on', async () => {
    const bot = startTestBot();
    await bot.join();
    await bot.say('talk to an agent');
    for (const value of [undefined, 'completed', { state: 'teleported' }, { state: 42 }, []]) {
      expect(await exchange(bot, handoffStatus(value))).toEqual([]);
    }
    // Still with the person: nothing was taken for "completed".
    expect(await exchange(bot, { text: 'no' })).toEqual([]);
    expect((await bot.statuses()).newsletter).toBe('unknown');
  });
});
