import { describe, expect, it } from 'vitest';
import type { Catalogue, LocalisedText, Purpose } from './catalogue.js';
import { WITHDRAW_ALL, WITHDRAW_NAMED } from '../test/opt-out-phrasings.js';
import { detectKeywordIntent, normaliseUtterance, purposesNamedIn } from './opt-out.js';

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
    ['🛑', ''],
    [' \t\n', ''],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normaliseUtterance(input)).toBe(expected);
  });
});
