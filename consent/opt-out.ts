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
import { normaliseText } from './text.js';

export type KeywordIntent =
  | { readonly kind: 'withdraw'; readonly purposeIds: readonly string[] | 'all' }
  | { readonly kind: 'restart' }
  | { readonly kind: 'help' }
  /** A question about stopping ("how do I unsubscribe?"): it withdraws nothing. */
  | { readonly kind: 'askStop' };

/**
 * Lower case, accents stripped, anything but letters and digits (apostrophes, hyphens, emoji,
 * punctuation) turned into single spaces. Compatibility decomposition (NFKD, a superset of NFD)
 * also folds full-width or styled letters ("ＳＴＯＰ") that phone keyboards sometimes produce.
 * Invisible characters are removed first (`normaliseText`), so they join a word rather than split
 * it: "st\u200Bop" is "stop", not "st op".
 */
export function normaliseUtterance(text: string): string {
  return foldWords(normaliseText(text));
}

/** `normaliseUtterance` of a text that went through `normaliseText` already. */
function foldWords(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      // Spaces are left alone and runs collapsed after: replacing every space by itself was slow.
      .replace(/(?! )[^\p{L}\p{N}]/gu, ' ')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
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
  'stpo',
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
  'take it all back',
  'take it back',
  'take back my',
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
  'delete … consent*',
  'remove … consent*',
  'cancel … consent*',
  'erase … consent*',
  'drop … consent*',
  'pull … consent*',
  'take back … consent*',
  'take … consent back',
  'consent anymore',
  'consent any more',
  'want you to … anymore',
  'want you to … any more',
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
  // "Don't bother me" is a stop, "nah, don't bother" only declines.
  'bother me',
  'bother us',
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
  // Spoken French drops the "ne": « j'en veux plus ».
  'en veux plus',
  'en voulons plus',
  "c'est fini",
  'cest fini',
  "c'est terminé",
  'fini pour moi',
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
  // "Cancel the weekly newsletter", but "can I cancel my order?" names no channel.
  'cancel',
  'annuler',
  'annulez',
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

/*
 * A question about stopping is not a stop: "how do I unsubscribe?", "can I change my mind later?",
 * « comment me désinscrire ? » ask how, and must be told how (GDPR art. 7(3) and 13(2)(c)), with
 * nothing withdrawn, while "can you stop emailing me?" asks the bot to stop. What tells them apart
 * is how the clause that holds the stop words opens: the person asking about their own ability
 * ("can I", "how do I", « je peux », « si je »), not the bot to act. Only a clause in which every
 * stop phrase opens so is a question: "how do I unsubscribe? actually, just stop" is a stop.
 */
const QUESTION_OPENINGS = [
  'how do i',
  'how can i',
  'how could i',
  'how would i',
  'how should i',
  'how to',
  'how does',
  'can i',
  'could i',
  'may i',
  'will i',
  'would i',
  'am i able',
  'do i',
  'is it possible',
  'is it easy',
  'is it hard',
  'is there',
  'what happens if',
  'what if',
  'if i',
  'where do i',
  'where can i',
  'comment',
  'je peux',
  'je pourrai*',
  'je pourrais',
  'puis-je',
  'est-ce que je',
  'est-ce qu on',
  "est-ce qu'on",
  'on peut',
  'peut-on',
  'si je',
  'si on',
  'quand je',
  'après ma',
  'après mon',
  // « y a un lien de désinscription ? » asks; « y a trop de mails » complains, and stops.
  'y a un',
  'y a t il',
  'il y a un',
  "c'est possible",
  'est-il possible',
  'que se passe',
  "qu'est-ce qui se passe",
];
/** Words a question may open with before its question words ("and if I withdraw...?"). */
const OPENING_FILLERS = [
  'and',
  'so',
  'ok',
  'okay',
  'hi',
  'hello',
  'hey',
  'but',
  'also',
  'et',
  'alors',
  'mais',
  'bonjour',
  'salut',
  'euh',
  'hmm',
  'um',
];
const MAX_OPENING_FILLERS = 3;

/*
 * A scoped stop withdraws exactly what it names: in "stop the newsletter but keep analytics" the
 * analytics are kept, and "stop everything except offers" keeps the offers (GDPR art. 7(3) is a
 * withdrawal of what the person withdraws, not of more). The message is cut into clauses at
 * punctuation and at the connectors below; a clause keeps the purposes it names when it follows an
 * exception ("except", « sauf »), or when it has no stop words and either says to keep ("keep",
 * "is fine", « gardez ») or is negated ("not the newsletter", « pas la newsletter »).
 */
const CLAUSE_PUNCTUATION = /[.!?;,:()[\]«»"“”…\n]+/u;
const CONNECTORS = [
  'but',
  'mais',
  'except',
  'excepted',
  'sauf',
  'apart from',
  'other than',
  'à part',
  'hormis',
  'excepté',
  'while',
  'tout en',
];
const EXCEPTIONS = [
  'except',
  'excepted',
  'sauf',
  'apart from',
  'other than',
  'à part',
  'hormis',
  'excepté',
];
const KEEP_CUES = [
  'keep*',
  'still want',
  'still like',
  'fine',
  'ok',
  'okay',
  'can stay',
  'may stay',
  'stay*',
  'on',
  'continu*',
  'gard*',
  'laiss*',
  'ça va',
  'rester',
  'reste*',
  'toujours',
  'veux bien',
];
const KEEP_NEGATIONS = ['not', 'pas', 'no', 'never', 'jamais'];

/** "Non-stop" is an adjective, but "Non, stop !" is an opt-out: only the hyphen tells them apart. */
const NON_STOP = /\bnon[-‐‑]stop\b/giu;

/*
 * Why the message is read in windows of words. Matching each list against the whole message, then
 * slicing the message again from every match (to look back for a negation before "opt me back in",
 * ahead for a channel after "no more"), cost the square of its length: 80 KB of "no more " kept the
 * event loop, and with it every other customer's stop, busy for seconds, 240 KB for minutes. So
 * the message is normalised once, cut into words, and each window *owns* WINDOW_WORDS of them and
 * carries CONTEXT_WORDS more on either side: a phrase that starts in a window's own words is wholly
 * inside it, with the words it looks back at and ahead to. A match counts only in the window that
 * owns its first word, so it is judged once and with the same context as in the whole message. The
 * whole message is still read, because a stop anywhere in an over-long message (which the bot then
 * refuses as too long) must be obeyed (GDPR art. 7(3)). Every regular expression reads at most
 * MAX_MATCHER_INPUT characters at a time, and the windows overlap by a constant factor: linear.
 */
const WINDOW_WORDS = 128;
/**
 * Longer than any word of the lists or of a data map: a longer run of letters is cut, so a window
 * has a bounded size. A cut word still matches a prefix pattern ("unsub*"), and matches no whole
 * word it did not match before, since it stays longer than all of them.
 */
const MAX_WORD_CHARS = 64;
const LONG_WORD = new RegExp(`[^ ]{${MAX_WORD_CHARS + 1},}`, 'g');

/** Padding phrases by their first word, longest first: "merci beaucoup" goes whole, not "merci". */
const paddingByFirstWord = new Map<string, string[][]>();
for (const phrase of PADDING.map((item) => normaliseUtterance(item).split(' '))) {
  const [first = ''] = phrase;
  const phrases = [...(paddingByFirstWord.get(first) ?? []), phrase];
  paddingByFirstWord.set(
    first,
    phrases.sort((a, b) => b.length - a.length),
  );
}
const helpWords = wordSet(HELP_WORDS);
const restartWords = wordSet(RESTART_WORDS);
const restartPhrases = RESTART_PHRASES.map(compile);
const anyStopWord = anyOf(STOP_WORDS);
const negations = new Set(NEGATIONS);
const wholeMessageOptOuts = wordSet(WHOLE_MESSAGE_OPT_OUTS);
/** A message with more words than this, padding aside, is none of the whole-message words. */
const MAX_WHOLE_MESSAGE_WORDS = Math.max(
  ...[...helpWords, ...restartWords, ...wholeMessageOptOuts].map((item) => item.split(' ').length),
);
const OPT_OUT_PHRASES = [
  ...STOP_WORDS,
  ...ENGLISH_OPT_OUTS,
  ...ENGLISH_NEGATIONS.flatMap((negation) => CONTACT_VERBS.map((verb) => `${negation} ${verb}`)),
  ...FRENCH_OPT_OUTS,
];
const OPT_OUT_SOURCES = OPT_OUT_PHRASES.map(patternSource);
/**
 * A cue, then a channel or a purpose starting within the CUE_REACH words after it ("no more of
 * your e-mails"): "plus de détails" or "no more questions" do not end with one.
 */
const CUE_THEN = `${alternation(CONTACT_CUES.map(patternSource))}(?: [^ ]+){0,${CUE_REACH - 1}} `;
const CONTACT_NOUN_SOURCES = CONTACT_NOUNS.map(patternSource);
const notOptOuts = NOT_OPT_OUTS.map(compile);

const questionOpening = new RegExp(
  `^(?:${alternation(OPENING_FILLERS.map(patternSource))} ){0,${MAX_OPENING_FILLERS}}` +
    `${alternation(QUESTION_OPENINGS.map(patternSource))}(?![^ ])`,
  'u',
);
const connectors = wordSet(CONNECTORS);
const exceptions = wordSet(EXCEPTIONS);
const keepCues = anyOf(KEEP_CUES);
const keepNegations = wordSet(KEEP_NEGATIONS);
/** Enough words for the fillers and the longest question opening: all the opening test reads. */
const OPENING_WORDS = MAX_OPENING_FILLERS + Math.max(...QUESTION_OPENINGS.map(wordsSpanned));

/** Words around a window's own: the longest phrase, or a phrase and the words it looks at. */
const CONTEXT_WORDS = Math.max(
  NEGATION_REACH + 1,
  ...[...OPT_OUT_PHRASES, ...RESTART_PHRASES, ...NOT_OPT_OUTS].map(wordsSpanned),
  ...CONTACT_CUES.map((cue) => wordsSpanned(cue) + CUE_REACH),
);

/** The most characters any matching regular expression is given at once. Exported for tests. */
export const MAX_MATCHER_INPUT = (WINDOW_WORDS + 2 * CONTEXT_WORDS) * (MAX_WORD_CHARS + 1);

/** Characters given to the matching regular expressions during a `measureMatcherWork` call. */
export interface MatcherWork {
  /** The longest text given to one expression. */
  readonly longestInput: number;
  /** All the characters given, summed over every expression. */
  readonly totalInput: number;
}

let work: { longestInput: number; totalInput: number } | undefined;

/**
 * Runs `detect` and counts the characters the matchers read. Tests hold detection to its bounds
 * with it (per expression, and linear overall) instead of timing it.
 */
export function measureMatcherWork<T>(detect: () => T): MatcherWork & { readonly result: T } {
  const counted = { longestInput: 0, totalInput: 0 };
  work = counted;
  try {
    const result = detect();
    return { ...counted, result };
  } finally {
    work = undefined;
  }
}

function read(text: string): string {
  if (work) {
    work.longestInput = Math.max(work.longestInput, text.length);
    work.totalInput += text.length;
  }
  return text;
}

/** Part of a normalised message, with the characters where the matches it owns start. */
interface Window {
  readonly text: string;
  readonly from: number;
  readonly to: number;
}

const HELP: KeywordIntent = { kind: 'help' };
const RESTART: KeywordIntent = { kind: 'restart' };

export function detectKeywordIntent(text: string, catalogue: Catalogue): KeywordIntent | null {
  const utterance = cutLongWords(foldWords(normaliseText(text).replace(NON_STOP, 'nonstop')));
  if (utterance === '') return null;
  const core = withoutPadding(utterance.split(' '));
  if (core !== undefined && helpWords.has(core)) return HELP;
  const windows = windowsOf(utterance);
  // Checked before withdrawal: "unstop" or "I unsubscribed by mistake, opt me back in" is a
  // restart. But a bare stop word always wins ("réabonné sans mon accord, stop"): a missed stop is
  // a legal fault, an extra confirmation is not.
  const restarts =
    (core !== undefined && restartWords.has(core)) ||
    windows.some((window) => restartPhrases.some((re) => hasUnnegatedMatch(window, re)));
  if (restarts && !windows.some((window) => ownsMatch(window, anyStopWord))) return RESTART;
  if (!asksToOptOut(windows, core, catalogue)) return null;
  const clauses = clausesOf(text, catalogue);
  const stops = clauses.filter((clause) => clause.stops);
  if (stops.length > 0 && stops.every((clause) => clause.question)) return ASK_STOP;
  return { kind: 'withdraw', purposeIds: scopeOf(clauses, catalogue) };
}

const ASK_STOP: KeywordIntent = { kind: 'askStop' };

/** A clause of a message: what it names, whether it asks to stop, keeps, or asks a question. */
interface Clause {
  readonly named: readonly string[];
  readonly stops: boolean;
  readonly keeps: boolean;
  readonly question: boolean;
}

/**
 * The message cut at punctuation, then at connectors ("but", « sauf »). Each part is read once
 * more in windows, as the whole message was, so detection stays linear in its length.
 */
function clausesOf(text: string, catalogue: Catalogue): Clause[] {
  const clauses: Clause[] = [];
  // One pass of a character class, like the normalisation itself.
  for (const sentence of normaliseText(text)
    .replace(NON_STOP, 'nonstop')
    .split(CLAUSE_PUNCTUATION)) {
    const words = cutLongWords(foldWords(sentence)).split(' ');
    if (words[0] === '') continue;
    const question = opensAQuestion(words);
    for (const { after, words: part } of partsOf(words)) {
      const said = part.join(' ');
      const windows = windowsOf(said);
      const stops = asksToOptOut(windows, withoutPadding(part), catalogue);
      const keeps =
        exceptions.has(after) ||
        (!stops &&
          (keepNegations.has(part[0] ?? '') ||
            windows.some((window) => ownsMatch(window, keepCues))));
      clauses.push({
        named: purposesNamedInWindows(windows, catalogue),
        stops,
        keeps,
        question: question || opensAQuestion(part),
      });
    }
  }
  return clauses;
}

/** Words of a sentence cut at each connector, with the connector that opens each part. */
function partsOf(words: readonly string[]): { after: string; words: string[] }[] {
  const parts = [{ after: '', words: [] as string[] }];
  for (let i = 0; i < words.length; i += 1) {
    const pair = `${words[i] ?? ''} ${words[i + 1] ?? ''}`;
    const connector = connectors.has(pair) ? pair : connectors.has(words[i] ?? '') ? words[i] : '';
    if (connector) {
      parts.push({ after: connector, words: [] });
      i += connector.split(' ').length - 1;
    } else {
      parts.at(-1)?.words.push(words[i] ?? '');
    }
  }
  return parts.filter((part) => part.words.length > 0);
}

/** Whether the words open with a question about the person's own ability to stop. */
function opensAQuestion(words: readonly string[]): boolean {
  return questionOpening.test(read(words.slice(0, OPENING_WORDS).join(' ')));
}

/**
 * What a stop withdraws: the purposes its clauses name, but those a clause keeps; everything but
 * the kept ones when it names only those ("stop everything except offers"); everything when it
 * names nothing. Naming a purpose both ways withdraws it: a missed stop is the legal fault.
 */
function scopeOf(clauses: readonly Clause[], catalogue: Catalogue): readonly string[] | 'all' {
  const kept = new Set(clauses.filter((c) => c.keeps).flatMap((c) => c.named));
  const named = new Set(clauses.filter((c) => !c.keeps).flatMap((c) => c.named));
  const ids = catalogue.purposes.map((p) => p.id);
  const withdrawn = ids.filter((id) => named.has(id) && !kept.has(id));
  if (withdrawn.length > 0) return withdrawn;
  if (named.size > 0) return ids.filter((id) => named.has(id));
  if (kept.size > 0) return ids.filter((id) => !kept.has(id));
  return 'all';
}

/** Purposes the text names by id or by a keyword of any locale, whole words, plural or not. */
export function purposesNamedIn(text: string, catalogue: Catalogue): readonly string[] {
  return purposesNamedInWindows(windowsOf(cutLongWords(normaliseUtterance(text))), catalogue);
}

function purposesNamedInWindows(windows: readonly Window[], catalogue: Catalogue): string[] {
  return namePatternsOf(catalogue)
    .filter(({ pattern }) => windows.some((window) => ownsMatch(window, pattern)))
    .map(({ id }) => id);
}

function asksToOptOut(
  windows: readonly Window[],
  core: string | undefined,
  catalogue: Catalogue,
): boolean {
  if (core !== undefined && wholeMessageOptOuts.has(core)) return true;
  return windows.some((window) => {
    // Blanked to one word of the same length, so that the window's owned range stays in place.
    const said = notOptOuts.reduce(
      (rest, re) => read(rest).replace(re, (phrase) => '_'.repeat(phrase.length)),
      window.text,
    );
    return ownsMatch({ ...window, text: said }, anyOptOutOf(catalogue));
  });
}

function hasUnnegatedMatch(window: Window, re: RegExp): boolean {
  return ownedMatches(window, re).some(
    (match) => !wordsBefore(window.text, match.index).some((word) => negations.has(word)),
  );
}

/** The NEGATION_REACH words before a word that starts at `index`, read backwards from it. */
function wordsBefore(text: string, index: number): string[] {
  const words: string[] = [];
  for (let end = index - 1; words.length < NEGATION_REACH && end > 0;) {
    const start = text.lastIndexOf(' ', end - 1) + 1;
    words.push(text.slice(start, end));
    end = start - 1;
  }
  return words;
}

/**
 * The words of the message but its padding, when they are few enough to be one of the
 * whole-message words (`undefined` otherwise, without reading further).
 */
function withoutPadding(words: readonly string[]): string | undefined {
  const kept: string[] = [];
  for (let i = 0; i < words.length;) {
    const word = words[i] ?? '';
    const padding = paddingByFirstWord
      .get(word)
      ?.find((phrase) => phrase.every((next, k) => words[i + k] === next));
    if (padding) {
      i += padding.length;
    } else if (kept.length === MAX_WHOLE_MESSAGE_WORDS) {
      return undefined;
    } else {
      kept.push(word);
      i += 1;
    }
  }
  return kept.join(' ');
}

/** A normalised utterance with each word cut to MAX_WORD_CHARS. */
function cutLongWords(utterance: string): string {
  return utterance.replace(LONG_WORD, (word) => word.slice(0, MAX_WORD_CHARS));
}

/** Windows of a normalised utterance: substrings of it, at word boundaries. */
function windowsOf(utterance: string): Window[] {
  const starts = [0];
  for (
    let space = utterance.indexOf(' ');
    space !== -1;
    space = utterance.indexOf(' ', space + 1)
  ) {
    starts.push(space + 1);
  }
  if (starts.length <= WINDOW_WORDS) return [{ text: utterance, from: 0, to: Infinity }];
  // Where a word starts, or one past the end for the word after the last.
  const startOf = (word: number) => starts[word] ?? utterance.length + 1;
  const windows: Window[] = [];
  for (let own = 0; own < starts.length; own += WINDOW_WORDS) {
    const first = startOf(Math.max(0, own - CONTEXT_WORDS));
    const end = startOf(own + WINDOW_WORDS + CONTEXT_WORDS) - 1;
    windows.push({
      text: utterance.slice(first, end),
      from: startOf(own) - first,
      to: startOf(own + WINDOW_WORDS) - 1 - first,
    });
  }
  return windows;
}

/** Matches of `re` that start in the window's own words (`re` is global; left as it was found). */
function ownedMatches(window: Window, re: RegExp): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  re.lastIndex = window.from;
  try {
    const text = read(window.text);
    for (let match = re.exec(text); match && match.index < window.to; match = re.exec(text)) {
      matches.push(match);
    }
  } finally {
    re.lastIndex = 0;
  }
  return matches;
}

function ownsMatch(window: Window, re: RegExp): boolean {
  re.lastIndex = window.from;
  try {
    const match = re.exec(read(window.text));
    return match !== null && match.index < window.to;
  } finally {
    re.lastIndex = 0;
  }
}

interface NamePattern {
  readonly id: string;
  readonly pattern: RegExp;
}

// Per data map, compiled once; a data map lives as long as the server.
const namePatterns = new WeakMap<Catalogue, readonly NamePattern[]>();
const optOutPatterns = new WeakMap<Catalogue, RegExp>();

function namePatternsOf(catalogue: Catalogue): readonly NamePattern[] {
  let patterns = namePatterns.get(catalogue);
  if (!patterns) {
    patterns = catalogue.purposes.map((purpose) => ({
      id: purpose.id,
      pattern: bounded(alternation(namesOf(purpose).map(termSource))),
    }));
    namePatterns.set(catalogue, patterns);
  }
  return patterns;
}

/**
 * Every way of asking to opt out, as one alternation: the first match in a window of any of them
 * is the first match of the alternation, so a window is read once, not once per phrase (200).
 */
function anyOptOutOf(catalogue: Catalogue): RegExp {
  let pattern = optOutPatterns.get(catalogue);
  if (!pattern) {
    const names = catalogue.purposes.flatMap((purpose) => namesOf(purpose).map(termSource));
    pattern = bounded(
      alternation([
        ...OPT_OUT_SOURCES,
        CUE_THEN + alternation([...CONTACT_NOUN_SOURCES, ...names]),
        // "analytics off", as a switch is labelled: a purpose's name, then "off".
        `${alternation(names)} off`,
      ]),
    );
    optOutPatterns.set(catalogue, pattern);
  }
  return pattern;
}

function namesOf(purpose: Purpose): readonly string[] {
  return [purpose.id, ...LOCALES.flatMap((locale) => purpose.keywords[locale])];
}

/** A catalogue keyword as whole words whose last word may take a plural "s" or drop it. */
function termSource(term: string): string | undefined {
  const words = normaliseUtterance(term).split(' ');
  const last = words.pop();
  if (last === undefined || last === '') return undefined;
  const stem = last.length > 3 && last.endsWith('s') ? last.slice(0, -1) : last;
  return [...words, stem].map(escapeRegExp).join(' ') + 's?';
}

/** How many words a list pattern can span, a gap counting GAP_WORDS. */
function wordsSpanned(pattern: string): number {
  return pattern
    .split(' ')
    .map((token) => (token === GAP ? GAP_WORDS : normaliseUtterance(token).split(' ').length))
    .reduce((sum, n) => sum + n, 0);
}

/** Compiles a list pattern (see GAP and `*` above) to a whole-word regular expression. */
function compile(pattern: string): RegExp {
  return bounded(patternSource(pattern));
}

/** Any of the list patterns, as one whole-word regular expression. */
function anyOf(patterns: readonly string[]): RegExp {
  return bounded(alternation(patterns.map(patternSource)));
}

/**
 * A gap is `(?: [^ ]+){0,GAP_WORDS}`: each repetition takes a whole word (a space, then no space),
 * so it can end only at a word's end and backtracks over at most GAP_WORDS + 1 choices.
 */
function patternSource(pattern: string): string {
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
  return source;
}

/** An alternation matching nothing when empty (a purpose with no usable name). */
function alternation(sources: readonly (string | undefined)[]): string {
  const usable = sources.filter((source): source is string => source !== undefined);
  return usable.length === 0 ? '(?!)' : `(?:${usable.join('|')})`;
}

/** Matches only at word boundaries of a normalised utterance (words separated by one space). */
function bounded(source: string): RegExp {
  return new RegExp(`(?<![^ ])${source}(?![^ ])`, 'gu');
}

function wordSet(items: readonly string[]): ReadonlySet<string> {
  return new Set(items.map(normaliseUtterance));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
