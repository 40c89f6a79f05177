import { describe, expect, it } from 'vitest';
import raw from '../catalogue/default-catalogue.json' with { type: 'json' };
import en from '../locales/en/translation.json' with { type: 'json' };
import fr from '../locales/fr/translation.json' with { type: 'json' };
import { parseCatalogue } from '../bot/platform/catalogue-file.js';
import type { ConversationEvent } from './events.js';
import { purposeRefs, understand, understandSubmission } from './intents.js';
import { detectKeywordIntent, MAX_MATCHER_INPUT, measureMatcherWork } from '../consent/opt-out.js';
import { INVISIBLE } from '../test/opt-out-phrasings.js';

const catalogue = parseCatalogue(raw);
const said = (text: string): ConversationEvent => understand(text, catalogue);

describe('understand, over the default catalogue', () => {
  it.each([
    'yes',
    'Yes!',
    'oui',
    'Oui.',
    'bien sûr',
    'Bien sur !',
    en.button.agree,
    fr.button.agree,
  ])('%j is a plain yes', (text) => {
    expect(said(text)).toEqual({ type: 'user.agreed' });
  });

  it.each([
    'I agree',
    "J'accepte",
    'J’accepte',
    'je consens',
    en.button.agreeExplicitly,
    fr.button.agreeExplicitly,
  ])('%j is an express statement of consent (art. 9(2)(a))', (text) => {
    expect(said(text)).toEqual({ type: 'user.agreedExplicitly' });
  });

  it.each(['no', 'Non merci', 'je ne veux pas', 'No thanks', en.button.refuse, fr.button.refuse])(
    '%j is a refusal',
    (text) => {
      expect(said(text)).toEqual({ type: 'user.refused' });
    },
  );

  // Silence, "ok" or a greeting is never a yes (GDPR recital 32).
  it.each([
    ['ok', { type: 'user.greeted' }],
    ['OK', { type: 'user.greeted' }],
    ["d'accord", { type: 'user.greeted' }],
    ['hello', { type: 'user.greeted' }],
    ['bonjour', { type: 'user.greeted' }],
    ['', { type: 'user.unclear' }],
    ['   ', { type: 'user.unclear' }],
    ['maybe', { type: 'user.hesitated' }],
    ['not sure', { type: 'user.hesitated' }],
    ['yes but how long do you keep it?', { type: 'user.asked', topic: 'retention' }],
  ] as const)('%j is not a yes', (text, event) => {
    expect(said(text)).toEqual(event);
  });

  it.each([
    'yeah go ahead',
    'absolutely',
    'Yes please',
    'oui please',
    'ok yes',
    'yesss',
    'sure, sign me up',
    'yeah sure why not',
    "Yeah I don't mind",
    "oui d'accord",
    'je veux bien',
    'ouais ça marche',
    'pas de souci',
    'ok pour moi',
    'OUI !!',
  ])('%j, an unambiguous answer as a whole, is a plain yes', (text) => {
    expect(said(text)).toEqual({ type: 'user.agreed' });
  });

  it.each(['yes, I agree to that', "d'accord, j'accepte", 'je suis d’accord', 'ok I consent'])(
    '%j holds an express statement, so it counts for an explicit purpose too',
    (text) => {
      expect(said(text)).toEqual({ type: 'user.agreedExplicitly' });
    },
  );

  it.each([
    'not interested',
    'no way',
    'No thank you, I’m good',
    'absolutely not',
    'nooo thanks',
    "I don't agree",
    'pas question',
    'non ça ira',
    "ça m'intéresse pas",
    'jamais de la vie',
    'bof non',
    'nan',
  ])('%j, an unambiguous refusal, is a no', (text) => {
    expect(said(text)).toEqual({ type: 'user.refused' });
  });

  // Consent is a clear affirmative act (art. 4(11)): the message as a whole must be a yes.
  it.each([
    'not bad',
    'yes... no wait',
    'yes no',
    'oui non',
    'yes?',
    'oui ?',
    'yes maybe',
    'oui peut-être',
    'sure, but not for the partners',
    'yes if you must',
    'no problem?',
    'I agree?',
    'ok',
    'okay thanks',
    "d'accord",
    'c’est bon',
    'go away',
    '👍',
  ])('%j is never taken as a yes or a no', (text) => {
    expect(said(text).type).not.toMatch(/^user\.(agreed|agreedExplicitly|refused)$/);
  });

  it.each([
    'thanks',
    'thanks, bye',
    'Thank you so much!',
    'hi there',
    'ok thanks bye',
    'merci',
    'merci beaucoup',
    'au revoir',
    'salut !',
    '👍',
    '🙂🙂',
  ])('%j is small talk: a friendly reply, nothing recorded', (text) => {
    expect(said(text)).toEqual({ type: 'user.greeted' });
  });

  it.each([
    'maybe',
    'hmm',
    'hmmmm',
    "I'm not sure",
    'idk',
    'let me think about it',
    'je sais pas',
    'je ne sais pas',
    'peut-être',
    'euh...',
    'bof',
    'faut que je réfléchisse',
  ])('%j is hesitation: no decision', (text) => {
    expect(said(text)).toEqual({ type: 'user.hesitated' });
  });

  it('reads a long message of yeses in linear time, and takes it as a yes', () => {
    const short = 'yes '.repeat(1_000);
    const long = 'yes '.repeat(20_000);
    const time = (text: string) => {
      const start = performance.now();
      for (let i = 0; i < 5; i++) said(text);
      return performance.now() - start;
    };
    time(short);
    expect(said(long)).toEqual({ type: 'user.agreed' });
    // Twenty times the words: well under the 400 times a quadratic reading would take.
    expect(time(long)).toBeLessThan(time(short) * 100);
  });

  it.each([
    ['tell me more', { type: 'user.wantedDetails' }],
    ['En savoir plus', { type: 'user.wantedDetails' }],
    [en.button.details, { type: 'user.wantedDetails' }],
    [fr.button.details, { type: 'user.wantedDetails' }],
    ['ask me later', { type: 'user.postponed' }],
    ['Plus tard', { type: 'user.postponed' }],
    [en.button.later, { type: 'user.postponed' }],
    [fr.button.later, { type: 'user.postponed' }],
    ['skip', { type: 'user.skipped' }],
    ['passer', { type: 'user.skipped' }],
    ['continue', { type: 'user.continued' }],
    ['continuer', { type: 'user.continued' }],
    ['help', { type: 'user.helped' }],
    ['aide', { type: 'user.helped' }],
  ] as const)('%j -> %j', (text, event) => {
    expect(said(text)).toEqual(event);
  });

  // The data map answers before anything is asked: consent is informed (GDPR art. 13).
  it.each([
    ['what do you collect and why?', { type: 'user.asked', topic: 'collect' }],
    ['Que collectez-vous et pourquoi ?', { type: 'user.asked', topic: 'collect' }],
    ['why do you need my location?', { type: 'user.asked', topic: 'why', purposeId: 'location' }],
    ['how long do you keep it?', { type: 'user.asked', topic: 'retention' }],
    ['who do you share it with?', { type: 'user.asked', topic: 'recipients' }],
    ['avec qui partagez-vous mes données ?', { type: 'user.asked', topic: 'recipients' }],
    ['who are you?', { type: 'user.asked', topic: 'controller' }],
  ] as const)('%j is a question: %j', (text, event) => {
    expect(said(text)).toStrictEqual(event);
  });

  it.each([
    'what have I agreed to?',
    'show my choices',
    'mes choix',
    en.button.choices,
    fr.button.choices,
  ])('%j shows the choices', (text) => {
    expect(said(text)).toEqual({ type: 'user.showedChoices' });
  });

  it.each([
    ['change my newsletter choice', [{ id: 'newsletter', explicit: false, needsAddress: true }]],
    ['modifier la localisation', [{ id: 'location', explicit: true, needsAddress: false }]],
    ['change', []],
  ] as const)('%j changes %j', (text, purposes) => {
    expect(said(text)).toEqual({ type: 'user.changing', purposes });
  });

  it.each([
    ['in English please', 'en'],
    ['english', 'en'],
    ['en français', 'fr'],
    ['En francais svp', 'fr'],
    ['french please', 'fr'],
  ] as const)('%j switches to %s', (text, locale) => {
    expect(said(text)).toEqual({ type: 'user.switchedLocale', locale });
  });

  it('takes START as a fresh round over every purpose of the catalogue', () => {
    const event = said('START');
    expect(event).toEqual({
      type: 'user.restarted',
      purposes: [
        { id: 'newsletter', explicit: false, needsAddress: true },
        { id: 'personalised-offers', explicit: false, needsAddress: false },
        { id: 'analytics', explicit: false, needsAddress: false },
        { id: 'location', explicit: true, needsAddress: false },
        { id: 'partner-sharing', explicit: false, needsAddress: true },
      ],
    });
    expect(said(en.button.start)).toEqual(event);
  });

  it('keeps the catalogue order and explicit flags in purposeRefs', () => {
    expect(purposeRefs(catalogue, ['location', 'newsletter', 'unknown'])).toEqual([
      { id: 'newsletter', explicit: false, needsAddress: true },
      { id: 'location', explicit: true, needsAddress: false },
    ]);
  });
});

describe('asking for a receipt or a person', () => {
  it.each([
    'my receipt',
    'Can I have my receipt?',
    'send me a receipt please',
    'receipt',
    'proof of my consent',
    'I want proof of my choices',
    'mon reçu',
    'un reçu svp',
    'Je veux la preuve de mon consentement',
    'reçu de consentement',
    'justificatif de mon consentement',
  ])('%j asks for the receipt, and is no stop', (text) => {
    expect(said(text)).toEqual({ type: 'user.askedReceipt' });
    expect(detectKeywordIntent(text, catalogue)).toBeNull();
  });

  it.each([
    'talk to a person',
    'I want to speak to a human',
    'Can I talk to someone?',
    'talk to an agent',
    'agent',
    'a human please',
    'real person',
    'transfer me to an agent',
    "parler à quelqu'un",
    'Je voudrais parler à une personne',
    'je veux parler à un conseiller',
    'un conseiller svp',
    'Conseiller',
    'passez-moi un conseiller',
  ])('%j asks for a person, and is no stop', (text) => {
    expect(said(text)).toEqual({ type: 'user.askedHuman' });
    expect(detectKeywordIntent(text, catalogue)).toBeNull();
  });

  it.each(["j'ai reçu un mail", 'I received an e-mail', 'the agent said yes', 'une personne'])(
    '%j is neither',
    (text) => {
      expect(['user.askedReceipt', 'user.askedHuman']).not.toContain(said(text).type);
    },
  );

  it('leaves "stop" to the opt-out guard even next to a request for a person', () => {
    expect(detectKeywordIntent('stop, I want a human', catalogue)).toEqual({
      kind: 'withdraw',
      purposeIds: 'all',
    });
  });
});

describe('understandSubmission', () => {
  it.each([
    [{ intent: 'agree' }, { type: 'user.agreed' }],
    [{ intent: 'agreeExplicitly' }, { type: 'user.agreedExplicitly' }],
    [{ intent: 'refuse' }, { type: 'user.refused' }],
    [{ intent: 'nonsense' }, undefined],
    [{ intent: 42 }, undefined],
    [{ intent: 'constructor' }, undefined],
    [{ intent: 'toString' }, undefined],
    [{ intent: '__proto__' }, undefined],
    [{}, undefined],
    ['agree', undefined],
    [null, undefined],
    [undefined, undefined],
  ] as const)('%j -> %j', (value, event) => {
    expect(understandSubmission(value)).toEqual(event);
  });
});

describe('invisible characters, read as the opt-out guard reads them', () => {
  it.each(INVISIBLE)('a %s inside a word joins it, for yes and for stop alike', (_name, char) => {
    expect(said(`ye${char}s`)).toEqual({ type: 'user.agreed' });
    expect(said(`I ag${char}ree`)).toEqual({ type: 'user.agreedExplicitly' });
    expect(said(`ja${char}ne@example.com`)).toEqual({
      type: 'user.gaveAddress',
      email: 'jane@example.com',
    });
    expect(detectKeywordIntent(`st${char}op`, catalogue)).toEqual({
      kind: 'withdraw',
      purposeIds: 'all',
    });
  });

  it('reads a no-break space or a line separator as a space', () => {
    expect(said('no\u00A0thanks')).toEqual({ type: 'user.refused' });
    expect(said('tell\u2028me more')).toEqual({ type: 'user.wantedDetails' });
  });
});

describe('a very long message', () => {
  it('is understood with bounded matching, however long', () => {
    const long = 'no more '.repeat(30_000);
    const work = measureMatcherWork(() => understand(long, catalogue));
    expect(work.result).toEqual({ type: 'user.unclear' });
    expect(work.longestInput).toBeLessThanOrEqual(MAX_MATCHER_INPUT);
  });
});
