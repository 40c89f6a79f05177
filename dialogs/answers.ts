/**
 * Short answers to a consent question read as a whole: yes, no, a greeting or thanks, hesitation.
 *
 * A message is cut, left to right, into the longest phrases of the table below. It is a yes only
 * when every word belongs to a yes phrase or to a word that adds nothing ("ok", "please",
 * "thanks"), with at least one yes phrase and no question mark (GDPR art. 4(11) and 7: consent is
 * a clear affirmative act). A word outside the table ("but", "wait", "not") leaves the message
 * unclear, so "yes but how long?", "not bad" and "yes... no wait" are never a yes; and a message
 * holding both a yes and a no phrase is neither. Negations appear only inside whole idioms that
 * mean yes ("why not", « pas de souci »), each listed as a phrase.
 *
 * Linear in the length of the message: at each word at most MAX_WORDS lookups in a Set.
 */

type Kind =
  | 'yes'
  /** An express statement ("I agree", « j'accepte »): art. 9(2)(a) asks for one. */
  | 'yesExpress'
  | 'no'
  /** Words that add nothing to a yes, a no or a greeting. */
  | 'filler'
  /** Words that go with a no only ("I'm good", « c'est bon »): alone they are not an answer. */
  | 'noTail'
  | 'greeting'
  | 'hesitation';

const TABLE: Readonly<Record<Kind, readonly string[]>> = {
  yes: [
    'yes',
    'y',
    'ye',
    'yess',
    'yea',
    'yeah',
    'yep',
    'yup',
    'yes yes',
    'absolutely',
    'sure',
    'of course',
    'certainly',
    'definitely',
    'totally',
    'go ahead',
    'go for it',
    'do it',
    'sign me up',
    'fine by me',
    'that s fine',
    'thats fine',
    'totally fine',
    'it s fine',
    'that s ok',
    'thats ok',
    'that s okay',
    'i m ok with that',
    'i m okay with that',
    'sounds good',
    'why not',
    'i don t mind',
    'i dont mind',
    'yes you can',
    'accept',
    'oui',
    'ouais',
    'ouai',
    'ouaip',
    'wi',
    'bien sur',
    'carrement',
    'volontiers',
    'vas y',
    'allez y',
    'go',
    'pas de souci',
    'pas de soucis',
    'pas de probleme',
    'ca me va',
    'ok pour moi',
    'pourquoi pas',
    'c est ok',
    'je veux bien',
    'ca marche',
    'grave',
    'avec plaisir',
    'evidemment',
    'bien entendu',
    'tout a fait',
    'accepter',
  ],
  yesExpress: [
    'i agree',
    'i agree to that',
    'agreed',
    'i accept',
    'i consent',
    'i explicitly agree',
    'i give my consent',
    'j accepte',
    'je suis d accord',
    'je consens',
    'j y consens',
    'je donne mon accord',
    'je donne mon consentement',
    'j accepte explicitement',
  ],
  no: [
    'no',
    'n',
    'nn',
    'noo',
    'nooo',
    'nope',
    'nah',
    'nan',
    'non',
    'no no',
    'no no no',
    'not interested',
    'i m not interested',
    'no way',
    'absolutely not',
    'not really',
    'certainly not',
    'definitely not',
    'hell no',
    'i refuse',
    'refuse',
    'i decline',
    'decline',
    'i d rather not',
    'id rather not',
    'rather not',
    'i don t want',
    'i do not want',
    'i dont want',
    'i don t want it',
    'i don t want that',
    'dont want it',
    'don t want it',
    'no i dont',
    'no i don t',
    'i don t consent',
    'i don t consent to that',
    'not for me',
    'i ll pass',
    'ill pass',
    'i d prefer you didnt',
    'i d prefer you didn t',
    'dont bother',
    'don t bother',
    'i don t agree',
    'i do not agree',
    'i disagree',
    'je refuse',
    'refuser',
    'je ne veux pas',
    'je veux pas',
    'pas question',
    'plutot pas',
    'sans facon',
    'je decline',
    'ca m interesse pas',
    'ca ne m interesse pas',
    'je prefere pas',
    'je ne prefere pas',
    'surement pas',
    'jamais de la vie',
    'c est non',
    'pas du tout',
    'je dis non',
    'je ne donne pas mon accord',
    'je ne suis pas d accord',
    'pas interesse',
    'pas interessee',
    'certainement pas',
    'hors de question',
    'non plus',
    'je prefere garder mes donnees',
    'je prefere garder mes donnees pour moi',
    'i d rather keep my data',
    'i d rather keep my data to myself',
  ],
  filler: [
    'ok',
    'okay',
    'k',
    'alright',
    'all right',
    'well',
    'please',
    'pls',
    'plz',
    'thanks',
    'thank you',
    'thank you so much',
    'thx',
    'ty',
    'merci',
    'merci bcp',
    'merci beaucoup',
    'svp',
    's il vous plait',
    'stp',
    'd accord',
    'dac',
    'allez',
    'bon',
    'then',
    'alors',
    'c bon',
    'c est bon',
  ],
  noTail: ['i m good', 'im good', 'sorry', 'desole', 'ca ira', 'c mort', 'bof'],
  greeting: [
    'hello',
    'helo',
    'helloo',
    'hi',
    'hey',
    'yo',
    'hiya',
    'hi there',
    'hello there',
    'hey there',
    'good morning',
    'good afternoon',
    'good evening',
    'bye',
    'goodbye',
    'bye bye',
    'see you',
    'cheers',
    'bonjour',
    'bjr',
    'salut',
    'bonsoir',
    'coucou',
    'allo',
    'au revoir',
    'a plus',
    'bonne journee',
    'bonne soiree',
    'ciao',
    'mrc',
    'i got a message from you',
    'you sent me a message',
    'j ai recu un message de vous',
    'vous m avez envoye un message',
  ],
  hesitation: [
    'maybe',
    'perhaps',
    'not sure',
    'not sure yet',
    'i m not sure',
    'im not sure',
    'unsure',
    'i don t know',
    'i dont know',
    'dunno',
    'idk',
    'don t know',
    'hm',
    'hmm',
    'um',
    'umm',
    'uh',
    'er',
    'erm',
    'let me think',
    'let me think about it',
    'i ll think about it',
    'ill think about it',
    'let me see',
    'i need to think',
    'i need to think about it',
    'peut etre',
    'je sais pas',
    'je ne sais pas',
    'sais pas',
    'jsp',
    'chai pas',
    'chais pas',
    'euh',
    'heu',
    'bof',
    'pas sur',
    'pas encore sur',
    'pas encore sure',
    'je ne suis pas sur',
    'je suis pas sur',
    'faut que je reflechisse',
    'il faut que je reflechisse',
    'je vais y reflechir',
    'je vais reflechir',
    'laissez moi reflechir',
    'je reflechis',
  ],
};

const PHRASES = new Map<string, Set<Kind>>();
for (const [kind, list] of Object.entries(TABLE) as [Kind, readonly string[]][]) {
  for (const phrase of list) {
    const kinds = PHRASES.get(phrase) ?? new Set<Kind>();
    kinds.add(kind);
    PHRASES.set(phrase, kinds);
  }
}
const MAX_WORDS = Math.max(...[...PHRASES.keys()].map((p) => p.split(' ').length));

/** What a whole message is, read as an answer; `undefined` when it is not one of these. */
export type ShortAnswer = 'yes' | 'yesExpress' | 'no' | 'greeting' | 'hesitation';

/**
 * `said`: the message as `normaliseUtterance` makes it (lower case, no accents, punctuation as
 * spaces). `typed`: as the customer wrote it, for the question mark.
 */
export function readShortAnswer(said: string, typed: string): ShortAnswer | undefined {
  const words = said.split(' ').map(unstretch);
  const found = new Set<Kind>();
  for (let i = 0; i < words.length;) {
    let length = Math.min(MAX_WORDS, words.length - i);
    let kinds: Set<Kind> | undefined;
    for (; length > 0; length--) {
      kinds = PHRASES.get(words.slice(i, i + length).join(' '));
      if (kinds) break;
    }
    // A word outside every phrase: the message says something else too.
    if (!kinds) return undefined;
    for (const kind of kinds) found.add(kind);
    i += length;
  }
  const yes = found.has('yes') || found.has('yesExpress');
  const no = found.has('no');
  // "Yes?" asks, it does not answer; a yes and a no together answer nothing.
  if (yes && no) return undefined;
  if (yes || no) {
    if (typed.includes('?')) return undefined;
    if (yes && (found.has('noTail') || found.has('hesitation'))) return undefined;
    if (no) return found.has('hesitation') && !found.has('noTail') ? undefined : 'no';
    return found.has('yesExpress') ? 'yesExpress' : 'yes';
  }
  if (found.has('hesitation')) return 'hesitation';
  if (found.has('greeting') || found.has('filler')) return 'greeting';
  return undefined;
}

/** "yesss", "nooo", "hmmm", "helloooo": a letter typed three times or more counts once. */
function unstretch(word: string): string {
  return word.length > 3 ? word.replace(/(\p{L})\1{2,}/gu, '$1') : word;
}
