/**
 * Recognises, in a customer's own words, that they want to stop (withdraw consent), to opt in
 * again, or to get help, in English or French.
 *
 * Why generous: GDPR art. 7(3) requires withdrawing to be as easy as giving consent. A customer
 * who types "arrêtez svp 🙏" and is not heard is a legal fault; an over-eager match only costs a
 * confirmation. So the lists below err on the side of recall. Plain refusals of a question ("no",
 * "je ne veux pas") are kept out on purpose: refusing what was never given withdraws nothing, and
 * treating it as a withdrawal would wipe consents given earlier in the same conversation.
 *
 * Pure: no I/O, and no text shown to the customer.
 */
import { LOCALES } from './catalogue.js';
import type { Catalogue, Purpose } from './catalogue.js';

export type KeywordIntent =
  | { readonly kind: 'withdraw'; readonly purposeIds: readonly string[] | 'all' }
  | { readonly kind: 'restart' }
  | { readonly kind: 'help' };

/**
 * Lower case, accents stripped, anything but letters and digits (apostrophes, hyphens, emoji,
 * punctuation) turned into single spaces. Compatibility decomposition (NFKD, a superset of NFD)
 * also folds full-width or styled letters ("ＳＴＯＰ") that phone keyboards sometimes produce.
 */
export function normaliseUtterance(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/*
 * Word lists are written as people type them and normalised when the module loads. In a pattern,
 * `…` stands for up to GAP_WORDS words, and a word ending in `*` for any word that starts so
 * ("désinscri*" covers désinscrire, désinscrivez, désinscription).
 */

const GAP = '…';
const GAP_WORDS = 4;

/** Words that make a message longer without changing what it asks ("cancel please 🙏"). */
const PADDING = [
  'please',
  'pls',
  'plz',
  'thanks',
  'thank you',
  'thx',
  'now',
  'right now',
  'immediately',
  'asap',
  'just',
  'all',
  'everything',
  'hi',
  'hello',
  'hey',
  'ok',
  'okay',
  'merci',
  'merci beaucoup',
  'svp',
  'stp',
  "s'il vous plaît",
  "s'il te plaît",
  'maintenant',
  'tout de suite',
  'tout',
  'bonjour',
  'bonsoir',
  'salut',
];

const HELP_WORDS = ['help', 'info', 'infos', 'aide'];

/** SMS conventions for opting in again: a fresh opt-in, never an undo of the withdrawal. */
const RESTART_WORDS = ['start', 'unstop'];
const RESTART_PHRASES = [
  'unstop',
  'opt … back in',
  'opt in again',
  'opt me in again',
  'resubscribe',
  're-subscribe',
  'subscribe … again',
  'sign … back up',
  'sign me up again',
  'réabonner',
  'réabonnez',
  'réabonne',
  're-abonner',
  'réinscrire',
  'réinscrivez',
  'réinscris',
  'abonnez-moi à nouveau',
  'inscrivez-moi à nouveau',
];
/** "Don't opt me back in" is no restart; the words must come shortly before the phrase. */
const NEGATIONS = ['don', 'dont', 'not', 'never', 'won', 'wont', 'ne', 'n', 'pas', 'jamais'];
const NEGATION_REACH = 3;

/**
 * Opt-out words that count only as the whole message (modulo padding): "cancel" or "end" alone is
 * the SMS convention, while "at the end" or "can I cancel later?" is not an opt-out.
 */
const WHOLE_MESSAGE_OPT_OUTS = [
  'stop',
  'stopall',
  'unsubscribe',
  'unsub',
  'cancel',
  'end',
  'quit',
  'i quit',
  'revoke',
  'withdraw',
  'remove',
  'optout',
  'opt-out',
  'arret',
  'arrêt',
  'arrête',
  'arrêter',
  'arrêtez',
  'fin',
  'annuler',
  'annule',
  'annulez',
  'désinscription',
  'désabonnement',
];

/** Stop words that count anywhere as a word: "stop the newsletter", "arrêtez les mails". */
const STOP_WORDS = [
  'stop',
  'stopall',
  'stoppe',
  'stopper',
  'stoppez',
  'arrêt',
  'arrête',
  'arrêtes',
  'arrêtez',
  'arrêter',
  'arrêtons',
  'cesse',
  'cessez',
  'cesser',
  'cease',
];

/** How people say they no longer consent, in English. */
const ENGLISH_OPT_OUTS = [
  'unsub*',
  'unsuscrib*',
  'un-subscrib*',
  'optout',
  'opt … out',
  'opting … out',
  'withdraw*',
  'withdrew',
  'revok*',
  'revocation',
  'retract*',
  'unregister*',
  'deregister*',
  'unenrol*',
  'remove me',
  'remove us',
  'remove my email',
  'remove my e-mail',
  'remove my address',
  'remove my name',
  'remove my number',
  'remove … from … list',
  'delete me from',
  'drop me from',
  'off … list',
  'take me off',
  'take us off',
  'take my … off',
  'get me off',
  'get me out of',
  'count me out',
  'leave me out',
  'leave me alone',
  'leave us alone',
  'go away',
  'i want out',
  'turn off',
  'turn … off',
  'switch off',
  'switch … off',
  'disable',
  'deactivate',
  'i no longer',
  'no longer want',
  'no longer wish',
  'no longer consent',
  'no longer agree',
  'no longer interested',
  'no longer receive',
  'no longer be contacted',
  "don't … anymore",
  "don't … any more",
  'do not … anymore',
  'do not … any more',
  'dont … anymore',
  'not … anymore',
  'not … any more',
  "don't want to receive",
  'do not want to receive',
  "don't wish to receive",
  "don't want to be contacted",
  'do not want to be contacted',
  "don't want to hear from",
  'delete … consent',
  'remove … consent',
  'cancel … consent',
  'erase … consent',
  'drop … consent',
  'pull … consent',
  'take back … consent',
  'take … consent back',
  'cancel … subscription',
  'end … subscription',
  'delete … subscription',
  'cancel all',
  'cancel everything',
  'changed my mind',
  'change my mind',
  'change of mind',
  'i object',
  'object to',
  'objection',
];

/** "Don't contact me", "do not email me", "never text me again"... every pairing of the two. */
const ENGLISH_NEGATIONS = ["don't", 'dont', 'do not', 'never'];
const CONTACT_VERBS = [
  'contact',
  'email',
  'e-mail',
  'mail',
  'message',
  'text',
  'call',
  'send',
  'write',
  'spam',
  'track',
  'bother',
  'sell',
  'share',
  'use my',
];

/** How people say they no longer consent, in French. */
const FRENCH_OPT_OUTS = [
  'désinscri*',
  'désincri*',
  'désabon*',
  'résili*',
  'révoqu*',
  'révocation',
  'retirer',
  'retirez',
  'retire',
  'retires',
  'retirons',
  'retrait',
  // "je ne veux plus", "ne m'envoyez plus", "ne me contactez plus", "ne plus recevoir"
  'ne … plus',
  "n'envoyez plus",
  "n'écrivez plus",
  "n'appelez plus",
  "n'utilisez plus",
  "n'en veux plus",
  "n'en voulons plus",
  'veux plus recevoir',
  'veux plus rien',
  'plus jamais',
  'ne me contactez pas',
  "ne m'écrivez pas",
  "ne m'envoyez pas",
  "ne m'envoyez rien",
  "ne m'appelez pas",
  'ne me sollicitez',
  'ne me dérangez',
  'laiss* moi tranquille',
  'laiss* nous tranquille*',
  'laiss* moi en paix',
  'fich* moi la paix',
  'fout* moi la paix',
  "chang* d'avis",
  'chang* davis',
  "chang* d'idée",
  "changement d'avis",
  "m'oppos*",
  "m'y oppos*",
  'nous opposons',
  'opposition',
  'supprim* … consentement',
  'annul* … consentement',
  'enlev* … consentement',
  'effac* … consentement',
  'supprim* … abonnement',
  'annul* … abonnement',
  'annul* … inscription',
  'supprimez-moi',
  'enlevez-moi',
  'sortez-moi',
  'rayez-moi',
  'désactiv*',
  'couper',
  'coupez',
];

/**
 * Cues that mean "no more" only when a channel or a purpose follows: "plus de mails" is an
 * opt-out, "plus de détails" asks for details, "no more questions" ends a conversation.
 */
const CONTACT_CUES = [
  'no more',
  'plus de',
  "plus d'",
  'plus aucun',
  'plus aucune',
  'enough',
  'too many',
  'assez de',
  "assez d'",
  'trop de',
  "trop d'",
];
const CUE_REACH = 3;
const CONTACT_NOUNS = [
  'email*',
  'e-mail*',
  'mail*',
  'message*',
  'text*',
  'sms',
  'newsletter*',
  'courriel*',
  'courrier*',
  'lettre*',
  'notification*',
  'pub',
  'pubs',
  'publicit*',
  'advert*',
  'ads',
  'marketing',
  'spam*',
  'promo*',
  'offer*',
  'offre*',
  'call*',
  'appel*',
  'sollicitation*',
  'contact*',
  'track*',
  'suivi',
  'cookie*',
];

/**
 * Phrases that look like an opt-out but are not, blanked before matching: "je ne sais plus ce que
 * j'ai accepté" asks for the choices, "can I withdraw later?" asks about rights.
 */
const NOT_OPT_OUTS = [
  'sais plus',
  'souviens plus',
  'rappelle plus',
  'comprends plus',
  'know anymore',
  'remember anymore',
  'understand anymore',
  'any more question*',
  'withdraw … later',
  'withdraw … any time',
  'withdraw … anytime',
  'unsubscribe … later',
  'opt out … later',
  'retirer … plus tard',
  'retirer … à tout moment',
  'désinscrire … plus tard',
];

/** "Non-stop" is an adjective, but "Non, stop !" is an opt-out: only the hyphen tells them apart. */
const NON_STOP = /\bnon[-‐‑]stop\b/giu;

// Longest first, so "merci beaucoup" goes whole rather than leaving "beaucoup" behind.
const padding = [...PADDING].sort((a, b) => b.length - a.length).map(compile);
const helpWords = wordSet(HELP_WORDS);
const restartWords = wordSet(RESTART_WORDS);
const restartPhrases = RESTART_PHRASES.map(compile);
const stopWords = STOP_WORDS.map(compile);
const negations = new Set(NEGATIONS);
const wholeMessageOptOuts = wordSet(WHOLE_MESSAGE_OPT_OUTS);
const optOutPhrases = [
  ...STOP_WORDS,
  ...ENGLISH_OPT_OUTS,
  ...ENGLISH_NEGATIONS.flatMap((negation) => CONTACT_VERBS.map((verb) => `${negation} ${verb}`)),
  ...FRENCH_OPT_OUTS,
].map(compile);
const contactCues = CONTACT_CUES.map(compile);
const contactNouns = CONTACT_NOUNS.map(compile);
const notOptOuts = NOT_OPT_OUTS.map(compile);

const HELP: KeywordIntent = { kind: 'help' };
const RESTART: KeywordIntent = { kind: 'restart' };

export function detectKeywordIntent(text: string, catalogue: Catalogue): KeywordIntent | null {
  const utterance = normaliseUtterance(text.replace(NON_STOP, 'nonstop'));
  if (utterance === '') return null;
  const core = withoutPadding(utterance);
  if (helpWords.has(core)) return HELP;
  // Checked before withdrawal: "unstop" or "I unsubscribed by mistake, opt me back in" is a
  // restart. But a bare stop word always wins ("réabonné sans mon accord, stop"): a missed stop is
  // a legal fault, an extra confirmation is not.
  const restarts =
    restartWords.has(core) || restartPhrases.some((re) => hasUnnegatedMatch(utterance, re));
  if (restarts && !stopWords.some((re) => contains(utterance, re))) return RESTART;
  if (!asksToOptOut(utterance, core, catalogue)) return null;
  const named = purposesNamedIn(text, catalogue);
  return { kind: 'withdraw', purposeIds: named.length > 0 ? named : 'all' };
}

/** Purposes the text names by id or by a keyword of any locale, whole words, plural or not. */
export function purposesNamedIn(text: string, catalogue: Catalogue): readonly string[] {
  const utterance = normaliseUtterance(text);
  return catalogue.purposes
    .filter((purpose) => namesOf(purpose).some((name) => contains(utterance, termPattern(name))))
    .map((purpose) => purpose.id);
}

function asksToOptOut(utterance: string, core: string, catalogue: Catalogue): boolean {
  if (wholeMessageOptOuts.has(core)) return true;
  const said = notOptOuts.reduce((rest, re) => rest.replace(re, '_'), utterance);
  return optOutPhrases.some((re) => contains(said, re)) || namesContactAfterCue(said, catalogue);
}

function namesContactAfterCue(utterance: string, catalogue: Catalogue): boolean {
  return contactCues.some((cue) =>
    [...utterance.matchAll(cue)].some((match) => {
      const next = utterance
        .slice(match.index + match[0].length)
        .trim()
        .split(' ')
        .slice(0, CUE_REACH)
        .join(' ');
      return (
        contactNouns.some((re) => contains(next, re)) || purposesNamedIn(next, catalogue).length > 0
      );
    }),
  );
}

function hasUnnegatedMatch(utterance: string, re: RegExp): boolean {
  return [...utterance.matchAll(re)].some((match) => {
    const before = utterance
      .slice(0, match.index)
      .split(' ')
      .slice(-NEGATION_REACH - 1);
    return !before.some((word) => negations.has(word));
  });
}

function withoutPadding(utterance: string): string {
  return padding
    .reduce((rest, re) => rest.replace(re, ' '), utterance)
    .replace(/ +/g, ' ')
    .trim();
}

function namesOf(purpose: Purpose): readonly string[] {
  return [purpose.id, ...LOCALES.flatMap((locale) => purpose.keywords[locale])];
}

/** A catalogue keyword as a whole-word pattern whose last word may take a plural "s" or drop it. */
function termPattern(term: string): RegExp | undefined {
  const words = normaliseUtterance(term).split(' ');
  const last = words.pop();
  if (last === undefined || last === '') return undefined;
  const stem = last.length > 3 && last.endsWith('s') ? last.slice(0, -1) : last;
  return bounded([...words, stem].map(escapeRegExp).join(' ') + 's?');
}

/** Compiles a list pattern (see GAP and `*` above) to a whole-word regular expression. */
function compile(pattern: string): RegExp {
  let source = '';
  let gapPending = false;
  for (const token of pattern.split(' ')) {
    if (token === GAP) {
      gapPending = true;
      continue;
    }
    const prefix = token.endsWith('*');
    const words = normaliseUtterance(prefix ? token.slice(0, -1) : token);
    if (words === '') continue;
    const word = escapeRegExp(words) + (prefix ? '[^ ]*' : '');
    const gap = gapPending ? `(?: [^ ]+){0,${GAP_WORDS}}` : '';
    source += source === '' ? word : `${gap} ${word}`;
    gapPending = false;
  }
  return bounded(source);
}

/** Matches only at word boundaries of a normalised utterance (words separated by one space). */
function bounded(source: string): RegExp {
  return new RegExp(`(?<![^ ])${source}(?![^ ])`, 'gu');
}

/** `search` ignores the global flag's lastIndex, so the shared regular expressions stay stateless. */
function contains(text: string, re: RegExp | undefined): boolean {
  return re !== undefined && text.search(re) !== -1;
}

function wordSet(items: readonly string[]): ReadonlySet<string> {
  return new Set(items.map(normaliseUtterance));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
