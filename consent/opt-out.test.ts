import { describe, expect, it } from 'vitest';
import type { Catalogue, LocalisedText, Purpose } from './catalogue.js';
import { INVISIBLE, WITHDRAW_ALL, WITHDRAW_NAMED } from '../test/opt-out-phrasings.js';
import { catalogue as shop } from '../test/harness.js';
import {
  detectKeywordIntent,
  MAX_MATCHER_INPUT,
  measureMatcherWork,
  normaliseUtterance,
  purposesNamedIn,
} from './opt-out.js';

const text = (en: string): LocalisedText => ({ en, fr: en });

function purpose(
  id: string,
  dataCategories: readonly string[],
  keywords: Purpose['keywords'],
): Purpose {
  return {
    id,
    version: 1,
    title: text(id),
    explanation: text(`Why ${id}`),
    question: text(`May we use ${id}?`),
    details: text(`More about ${id}`),
    dataCategories,
    legalBasis: 'https://w3id.org/dpv/legal/eu/gdpr#A6-1-a',
    retention: text('1 year'),
    recipients: text('Us'),
    explicitConsent: id === 'location',
    keywords,
    dpvPurposes: ['https://w3id.org/dpv#ServiceProvision'],
  };
}

const catalogue: Catalogue = {
  version: '2026-01-01',
  controller: { name: 'Acme', contact: 'privacy@acme.test' },
  supervisoryAuthority: { name: text('Authority'), url: text('https://authority.test/') },
  dataCategories: [
    { id: 'email', kind: 'personal', label: text('E-mail address') },
    { id: 'usage', kind: 'behavioural', label: text('Usage') },
    { id: 'gps', kind: 'location', label: text('Position') },
  ],
  purposes: [
    purpose('newsletter', ['email'], {
      en: ['newsletter', 'emails', 'e-mails', 'mails'],
      fr: ['newsletter', "lettre d'information", 'mails', 'e-mails', 'courriels'],
    }),
    purpose('analytics', ['usage'], {
      en: ['analytics', 'statistics', 'measurement'],
      fr: ['statistiques', "mesure d'audience", 'analyse'],
    }),
    purpose('location', ['gps'], {
      en: ['location', 'gps', 'position'],
      fr: ['localisation', 'position', 'géolocalisation'],
    }),
  ],
};

const detect = (message: string) => detectKeywordIntent(message, catalogue);

/** Refusals, questions and other requests: not a withdrawal. */
const NOT_WITHDRAW = [
  'no',
  'non',
  'No thanks',
  'non merci',
  'Non, merci !',
  "I don't want it",
  'je ne veux pas',
  "I'd rather not",
  'what do you collect and why?',
  'how long do you keep it?',
  'who do you share it with?',
  'why do you need my location?',
  'yes',
  'oui',
  'tell me more',
  'hello',
  'ok',
  'in English please',
  'en français',
  'what have I agreed to?',
  'show my choices',
  'change my newsletter choice',
  'delete my data',
  'what do you have on me',
  'at the end',
  'what happens at the end of the trial?',
  'is your support non-stop?',
  'Non-stop',
  'stopwatch',
  'pourquoi avez-vous besoin de ma position ?',
  'combien de temps gardez-vous mes données ?',
  'en savoir plus',
  "plus d'infos sur la newsletter",
  'je ne sais plus ce que j’ai accepté',
  'I have no more questions',
  "je n'ai plus de questions",
  'supprimez mes données',
  'can I withdraw my consent later?',
  'maybe later',
  'plus tard',
  'what are my rights?',
  'i refuse',
  '?',
  '',
  '👍',
];

describe('detectKeywordIntent: withdrawal of every consent', () => {
  it('covers at least 60 distinct phrasings', () => {
    expect(new Set(WITHDRAW_ALL).size).toBe(WITHDRAW_ALL.length);
    expect(WITHDRAW_ALL.length).toBeGreaterThanOrEqual(60);
  });

  it.each(WITHDRAW_ALL)('%s', (message) => {
    expect(detect(message)).toEqual({ kind: 'withdraw', purposeIds: 'all' });
  });
});

describe('detectKeywordIntent: withdrawal of the purposes named', () => {
  it.each(WITHDRAW_NAMED)('%s', (message, ids) => {
    expect(detect(message)).toEqual({ kind: 'withdraw', purposeIds: ids });
  });
});

describe('detectKeywordIntent: not a withdrawal', () => {
  it('covers at least 25 distinct messages', () => {
    expect(new Set(NOT_WITHDRAW).size).toBe(NOT_WITHDRAW.length);
    expect(NOT_WITHDRAW.length).toBeGreaterThanOrEqual(25);
  });

  it.each(NOT_WITHDRAW)('%s', (message) => {
    expect(detect(message)).toBeNull();
  });
});

describe('detectKeywordIntent: opting in again', () => {
  it.each([
    'START',
    'start',
    'Start!',
    'UNSTOP',
    'unstop please',
    'opt me back in',
    'Please opt me back in 🙂',
    'subscribe again',
    'I want to subscribe again',
    'resubscribe',
    'je veux me réabonner',
    'Réabonnez-moi',
    'je veux me réinscrire',
    'I unsubscribed by mistake, opt me back in',
  ])('%s', (message) => {
    expect(detect(message)).toEqual({ kind: 'restart' });
  });

  it('is not a start inside a longer message', () => {
    expect(detect("let's start")).toBeNull();
  });
});

describe('detectKeywordIntent: help', () => {
  it.each(['HELP', 'help', 'Help?', 'help!', 'INFO', 'info', 'Aide', 'AIDE !', 'aide svp'])(
    '%s',
    (message) => {
      expect(detect(message)).toEqual({ kind: 'help' });
    },
  );

  it.each(['?', 'help me unsubscribe', 'info about the newsletter'])(
    '%s is not help',
    (message) => {
      expect(detect(message)?.kind).not.toBe('help');
    },
  );
});

describe('purposesNamedIn', () => {
  it.each([
    ['tell me about the newsletter', ['newsletter']],
    ['Newsletters?', ['newsletter']],
    ['pourquoi la GÉOLOCALISATION', ['location']],
    ["c'est quoi la mesure d'audience", ['analytics']],
    ['analytics', ['analytics']],
    ['e-mail and gps', ['newsletter', 'location']],
    ['hello', []],
    ['non-analytical', []],
    ['measurements', ['analytics']],
  ] as const)('%s', (message, ids) => {
    expect(purposesNamedIn(message, catalogue)).toEqual(ids);
  });
});

describe('normaliseUtterance', () => {
  it.each([
    ['  Arrêtez   les MAILS !! ', 'arretez les mails'],
    ["s'il vous plaît", 's il vous plait'],
    ['s’il vous plaît', 's il vous plait'],
    ['Désinscrivez-moi 🙏', 'desinscrivez moi'],
    ['OPT-OUT', 'opt out'],
    ['GÉOLOCALISATION', 'geolocalisation'],
    ['e-mails, SMS…', 'e mails sms'],
    ['Ça va?', 'ca va'],
    ['ＳＴＯＰ', 'stop'],
    // Invisible characters join the word; punctuation and whitespace of any kind separate words.
    ['st\u200Bop', 'stop'],
    ['opt\u00ADout', 'optout'],
    ['arr\u2060ête\u00A0svp', 'arrete svp'],
    ['stop\u2028now', 'stop now'],
    ['🛑', ''],
    [' \t\n', ''],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normaliseUtterance(input)).toBe(expected);
  });
});

describe('detectKeywordIntent: invisible characters inside the words', () => {
  it.each(INVISIBLE)('a %s does not hide a stop', (_name, char) => {
    for (const stop of [
      `st${char}op`,
      `ST${char}OP`,
      `${char}stop${char}`,
      `unsub${char}scribe`,
      `Un${char}subscribe me please`,
      `arr${char}ête`,
      `Arr${char}ê${char}te !`,
      `stop the news${char}letter`,
    ]) {
      expect({ stop, intent: detect(stop) }).toEqual({
        stop,
        intent: { kind: 'withdraw', purposeIds: stop.includes('letter') ? ['newsletter'] : 'all' },
      });
    }
  });

  it('nor does a no-break space, a line separator or a full-width letter', () => {
    for (const stop of [
      'stop\u00A0please',
      'please\u2028stop',
      'ｕｎｓｕｂｓｃｒｉｂｅ',
      'opt\u00A0out',
    ]) {
      expect({ stop, intent: detect(stop) }).toEqual({
        stop,
        intent: { kind: 'withdraw', purposeIds: 'all' },
      });
    }
  });
});

/** Words that ask for nothing, to make a message as long as needed. */
const SENTENCE = 'the quick brown fox jumps over a lazy dog ';
const filler = (chars: number) => SENTENCE.repeat(Math.ceil(chars / SENTENCE.length));

describe('detectKeywordIntent: messages far over the length limit', () => {
  const KB240 = 30_000;

  it.each([
    ['no more ', null],
    ['never opt me back in ', null],
    ['dont resubscribe ', null],
    ['stop ', { kind: 'withdraw', purposeIds: 'all' }],
    ['please ', null],
    ['x', null],
  ] as const)(
    '%j repeated to 240 KB reads each character a bounded number of times',
    (unit, intent) => {
      const message = unit.repeat(Math.ceil((8 * KB240) / unit.length));
      expect(message.length).toBeGreaterThanOrEqual(240_000);
      const work = measureMatcherWork(() => detect(message));
      expect(work.result).toEqual(intent);
      // No expression reads more than a window, and all of them together a constant per character.
      expect(work.longestInput).toBeLessThanOrEqual(MAX_MATCHER_INPUT);
      expect(work.totalInput).toBeLessThanOrEqual(64 * message.length);
    },
  );

  it('does twice the work for twice the text, not four times', () => {
    const workFor = (copies: number) =>
      measureMatcherWork(() => detect('no more '.repeat(copies))).totalInput;
    expect(workFor(20_000) / workFor(10_000)).toBeLessThan(2.2);
  });

  it.each([
    ['STOP at the start', `STOP ${filler(200_000)}`],
    ['STOP at the end', `${filler(200_000)}STOP`],
    ['stop in the middle', `${filler(100_000)}stop ${filler(100_000)}`],
    ['a long paste ending with a request', `${filler(200_000)}please unsubscribe me`],
    ['one endless word, then stop', `${'x'.repeat(200_000)} stop`],
    ['a stop written with invisible characters', `${filler(200_000)}s\u200Bt\u00ADop`],
  ])('still hears a stop: %s', (_name, message) => {
    expect(message.length).toBeGreaterThan(200_000);
    const work = measureMatcherWork(() => detect(message));
    expect(work.result).toEqual({ kind: 'withdraw', purposeIds: 'all' });
    expect(work.longestInput).toBeLessThanOrEqual(MAX_MATCHER_INPUT);
  });

  it('names a purpose anywhere in a long message, as in a short one', () => {
    expect(detect(`${filler(50_000)}stop the newsletter ${filler(50_000)}`)).toEqual({
      kind: 'withdraw',
      purposeIds: ['newsletter'],
    });
  });

  it('judges a phrase the same wherever it falls among the words, window edges included', () => {
    for (let words = 0; words <= 400; words += 1) {
      const before = 'word '.repeat(words);
      expect({ words, intent: detect(`${before}don't opt me back in, unsubscribe me`) }).toEqual({
        words,
        intent: { kind: 'withdraw', purposeIds: 'all' },
      });
      expect({ words, intent: detect(`${before}opt me back in`) }).toEqual({
        words,
        intent: { kind: 'restart' },
      });
      expect({ words, intent: detect(`${before}can I withdraw my consent later?`) }).toEqual({
        words,
        intent: null,
      });
      expect({ words, intent: detect(`${before}no more e-mails`) }).toEqual({
        words,
        intent: { kind: 'withdraw', purposeIds: ['newsletter'] },
      });
    }
  });
});

describe('questions about stopping, scoped stops, and stops as people write them', () => {
  const ids = (names: readonly string[]) => names;
  const all = shop.purposes.map((p) => p.id);
  const allBut = (...kept: string[]) => all.filter((id) => !kept.includes(id));

  it.each([
    'can I change my mind later?',
    'how do I unsubscribe?',
    'comment me désinscrire ?',
    'je peux retirer mon consentement quand je veux ?',
    'if i withdraw, do you delete everything?',
    'y a un lien de désinscription dans les mails ?',
    'can i turn off location later',
  ])('"%s" asks how to stop: it withdraws nothing', (question) => {
    expect(detectKeywordIntent(question, shop)).toEqual({ kind: 'askStop' });
  });

  it.each([
    'how do I unsubscribe? actually, just stop',
    'can you stop emailing me',
    'pouvez-vous me désinscrire',
    'stop?',
    'y a trop de mails',
    'if I get one more email, stop',
  ])('"%s" is a stop, not a question about one', (stop) => {
    expect(detectKeywordIntent(stop, shop)?.kind).toBe('withdraw');
  });

  it.each([
    ['stop the newsletter but keep analytics', ids(['newsletter'])],
    ['stop everything except offers', allBut('personalised-offers')],
    ['turn off location, keep offers and newsletter', ids(['location'])],
    ['keep sending the newsletter but stop sharing with partners', ids(['partner-sharing'])],
    ['arrêtez la newsletter mais gardez les offres', ids(['newsletter'])],
    ['arrêtez tout sauf la newsletter', allBut('newsletter')],
    ['stop tracking me but the newsletter is fine', ids(['analytics'])],
  ])('"%s" withdraws exactly what it names', (stop, expected) => {
    expect(detectKeywordIntent(stop, shop)).toEqual({ kind: 'withdraw', purposeIds: expected });
  });

  it.each([
    ['i take it all back', 'all'],
    ["c'est fini", 'all'],
    ['unsubscribe me', 'all'],
    ['arrêtez tout', 'all'],
    ["j'en veux plus", 'all'],
    ['please remove all my consents', 'all'],
    ["I don't want your e-mails any more", ['newsletter']],
    ['cancel the weekly newsletter', ['newsletter']],
  ] as const)('"%s" withdraws at once', (stop, expected) => {
    expect(detectKeywordIntent(stop, shop)).toEqual({ kind: 'withdraw', purposeIds: expected });
  });

  it('a refusal that names no one is not a stop: "nah dont bother"', () => {
    expect(detectKeywordIntent('nah dont bother', shop)).toBeNull();
    expect(detectKeywordIntent("don't bother me again", shop)?.kind).toBe('withdraw');
  });
});
