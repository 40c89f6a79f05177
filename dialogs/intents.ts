import type { Catalogue, Locale } from '../consent/catalogue.js';
import { detectKeywordIntent, normaliseUtterance, purposesNamedIn } from '../consent/opt-out.js';
import { normaliseText } from '../consent/text.js';
import { readShortAnswer } from './answers.js';
import type { ConversationEvent, OptOutReason, PurposeRef, QuestionTopic } from './events.js';

/**
 * Maps what a person typed to a conversation event. Consent must be unambiguous (GDPR art. 4(11)):
 * yes and no are recognised only when they are the whole message, so "yes but how long do you keep
 * it?" is a question, and "ok" or "hello" is never a yes. Withdrawal is not recognised here: the
 * opt-out guard sees every message first.
 */

// Whole-message phrases, already normalised (lower case, no accents, no punctuation). Yes, no,
// greetings and hesitation are read by readShortAnswer (dialogs/answers.ts).
const DETAILS = phrases(
  'tell me more',
  'more',
  'more info',
  'more information',
  'details',
  'more details',
  'explain',
  'explain please',
  'what does that mean',
  'en savoir plus',
  'plus d infos',
  'plus d informations',
  'dites m en plus',
  'details svp',
  'expliquez',
  'c est a dire',
);
const SKIP = phrases('skip', 'next', 'pass', 'skip this', 'passer', 'suivant', 'je passe', 'passe');
const LATER = phrases(
  'later',
  'ask me later',
  'not now',
  'maybe later',
  'plus tard',
  'pas maintenant',
  'demandez moi plus tard',
  'peut etre plus tard',
  'plus tard peut etre',
);
const CONTINUE = phrases(
  'continue',
  'resume',
  'go on',
  'carry on',
  'continuer',
  'reprendre',
  'on continue',
  'continuons',
);
const HELP = phrases(
  'help',
  'what can i say',
  'what can you do',
  'options',
  'menu',
  'aide',
  'que puis je dire',
  'que pouvez vous faire',
  'que puis je faire',
);
const CHOICES = [
  /\bwhat (have|did) i (agreed?|consented|accepted|said)\b/,
  /\b(show|see|list|view) (me )?my (choices|consents?|preferences|settings)\b/,
  /^my (choices|consents?|preferences)$/,
  /\b(mes|voir mes|montrez moi mes|afficher mes) (choix|consentements|preferences)\b/,
  /\b(a quoi|qu est ce que) (j ai|ai je) (accepte|consenti|dit oui)\b/,
  /\bqu ai je accepte\b/,
];
const CHANGE = [/\b(change|modify|update|edit)\b/, /\b(changer|modifier|revoir|mettre a jour)\b/];
const LANGUAGE: readonly [RegExp, Locale][] = [
  [/^(in )?english( please)?$|^(en )?anglais( svp| s il vous plait)?$|\bspeak english\b/, 'en'],
  [/^(in )?french( please)?$|^(en )?francais( svp| s il vous plait)?$|\bparlez francais\b/, 'fr'],
];
const QUESTIONS: readonly [RegExp, QuestionTopic][] = [
  [
    /\bhow long\b|\bretention\b|\bcombien de temps\b|\bconserv|\bdelete it when\b|\bduree\b/,
    'retention',
  ],
  [
    /\bshare|\bwho (gets|sees|receives|has access)|\brecipients?\b|\bpartag|\bavec qui\b|\bqui (a acces|voit|recoit)\b|\bdestinataires?\b|\bsell\b|\bvend/,
    'recipients',
  ],
  [
    /\bwho are you\b|\bwho is responsible\b|\bcontroller\b|\bqui etes vous\b|\bresponsable\b|\bwho runs\b/,
    'controller',
  ],
  [
    /\bmy rights\b|\bcan i (withdraw|change|say no)|\bmes droits\b|\bpuis je (retirer|changer|refuser)/,
    'rights',
  ],
  [
    /\bwhat (do|will|would) you (collect|use|know|keep|store|gather)|\bwhat data\b|\bwhich data\b|\bwhat information\b|\bdata map\b|\bcollect|\bquelles? (donnees|informations)\b|\bque collectez\b|\bqu est ce que vous (collectez|utilisez|savez)|\bvos donnees\b/,
    'collect',
  ],
  [/\bwhy\b|\bpourquoi\b|\bwhat for\b|\ba quoi (ca )?sert/, 'why'],
];

const SHORT_ANSWERS = {
  yes: 'user.agreed',
  yesExpress: 'user.agreedExplicitly',
  no: 'user.refused',
  greeting: 'user.greeted',
  hesitation: 'user.hesitated',
} as const;

const EMOJI = /\p{Extended_Pictographic}/u;

function phrases(...items: string[]): ReadonlySet<string> {
  return new Set(items);
}

/**
 * Purposes as the conversation needs them. `addressKnown`: the person has a verified e-mail
 * address already, so an e-mail purpose needs no new confirmation link.
 */
export function purposeRefs(
  catalogue: Catalogue,
  ids: readonly string[],
  addressKnown = false,
): readonly PurposeRef[] {
  return catalogue.purposes
    .filter((p) => ids.includes(p.id))
    .map((p) => ({
      id: p.id,
      explicit: p.explicitConsent,
      needsAddress: p.contactChannel === 'email' && !addressKnown,
    }));
}

// An address alone, or in a short sentence ("my e-mail is jane@example.com"). Deliberately simple:
// the confirmation link is what proves the address works.
const EMAIL = /(?:^|\s)([^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[a-z]{2,})(?=$|[\s.!?])/iu;
const ERASURE = [
  /\b(delete|erase|remove|wipe) (all )?(my|of my) (data|information|details|account)\b/,
  /\bforget (about )?me\b/,
  /\bright to (be forgotten|erasure)\b/,
  /\b(supprime[rz]?|efface[rz]?|effacement) (de )?(toutes )?mes (donnees|informations|coordonnees)\b/,
  /\boubliez moi\b/,
  /\bdroit a l oubli\b/,
];
const EXPORT = [
  /\bwhat (data |information )?do you (have|hold|keep|store) (on|about) me\b/,
  /\bwhat do you know about me\b/,
  /\b(export|download|send me|give me|see|access) (all )?my (data|information)\b/,
  /\bqu (avez|est ce que vous avez) vous sur moi\b|\bqu avez vous sur moi\b/,
  /\bquelles (donnees|informations) (avez vous|detenez vous|gardez vous) sur moi\b/,
  /\b(exporter|telecharger|acceder a|voir|consulter) (toutes )?mes donnees\b/,
  /\bque savez vous (de|sur) moi\b/,
];
const CONFIRM_ERASURE = phrases(
  'yes delete everything',
  'oui tout supprimer',
  'delete',
  'delete it',
  'delete everything',
  'erase',
  'yes delete',
  'yes delete everything',
  'supprimer',
  'supprimez',
  'oui supprimer',
  'oui supprimez',
  'tout supprimer',
  'effacer',
);
const CANCEL_ERASURE = phrases(
  'no keep my data',
  'non garder mes donnees',
  'keep',
  'keep it',
  'keep my data',
  'cancel deletion',
  'garder',
  'gardez',
  'conserver',
  'non gardez',
  'garder mes donnees',
  'annuler la suppression',
);
/** Proof of consent. "Reçu" alone is also "received": only "my/a/the receipt" counts. */
const RECEIPT = [
  /\b(my|a|the|consent|privacy) receipts?\b/,
  /^receipts?$/,
  /\bproof of (my )?(consent|consents|choices|decisions)\b/,
  /\b(mon|mes|un|le|les) recus?\b/,
  /\brecus? de (mon |mes )?consentements?\b/,
  /\bpreuves? (de |du )?(mon |mes )?(consentement|consentements|choix)\b/,
  /\bjustificatifs? (de |du )?(mon |mes )?(consentement|consentements)\b/,
];
/** Asking for a person. Kept to whole phrases: "agent" alone may be about something else. */
const HUMAN = [
  /\b(talk|speak|chat) (to|with) (a |an |some |)(person|human|agent|someone|somebody|advisor|adviser|operator|representative|real person|human being)\b/,
  /\b(a|an|real) (human|person|agent|advisor|operator)( please)?$/,
  /^(human|agent|operator|representative|person)( please)?$/,
  /\b(transfer|put) me (to|through to) (a |an )?(person|human|agent|advisor|someone)\b/,
  /\bparler (a|avec) (un |une |quelqu un|quelqu une|une personne|un humain|un conseiller|une conseillere|un agent|un operateur|un etre humain)/,
  /\b(un|une) (conseiller|conseillere|humain|vraie personne|personne reelle|operateur|operatrice)( svp| s il vous plait)?$/,
  /^(conseiller|conseillere|humain)( svp| s il vous plait)?$/,
  /\bpasse[rz]? moi (un|une) (conseiller|conseillere|humain|agent|personne)\b/,
];
/** The optional "why are you leaving?" answers: their button words, in both languages. */
const REASONS: Readonly<Record<OptOutReason, ReadonlySet<string>>> = {
  // The button says "too frequent": "too many messages" is also how people say stop, and the opt-out
  // guard, which runs first, would take the button for a second stop.
  'too-many-messages': phrases(
    'too frequent',
    'too often',
    'trop frequent',
    'trop frequents',
    'trop souvent',
    'too many messages',
    'too many',
    'trop de messages',
    'trop de mails',
  ),
  'not-relevant': phrases(
    'not relevant',
    'not relevant to me',
    'pas pertinent',
    'pas pertinents',
    'ca ne me concerne pas',
  ),
  'privacy-worries': phrases(
    'privacy worries',
    'privacy',
    'privacy concerns',
    'vie privee',
    'inquietudes vie privee',
    'ma vie privee',
  ),
  other: phrases('other', 'something else', 'autre', 'autre chose', 'autre raison'),
};

/** The event a text message stands for. Never returns a withdrawal: see the opt-out guard. */
export function understand(typed: string, catalogue: Catalogue): ConversationEvent {
  // The text the opt-out guard read too (invisible characters gone, whitespace single spaces), so
  // that "ye\u200Bs" is a yes here exactly when "st\u200Bop" is a stop there.
  const text = normaliseText(typed);
  const said = normaliseUtterance(text);
  // Only emoji ("👍", "🙂"): friendly, never a yes, since a picture is no clear affirmative act.
  if (said === '') return EMOJI.test(text) ? { type: 'user.greeted' } : { type: 'user.unclear' };

  const keyword = detectKeywordIntent(text, catalogue);
  if (keyword?.kind === 'restart') {
    return {
      type: 'user.restarted',
      purposes: purposeRefs(
        catalogue,
        catalogue.purposes.map((p) => p.id),
      ),
    };
  }
  if (keyword?.kind === 'help' || HELP.has(said)) return { type: 'user.helped' };

  for (const [pattern, locale] of LANGUAGE) {
    if (pattern.test(said)) return { type: 'user.switchedLocale', locale };
  }
  if (DETAILS.has(said)) return { type: 'user.wantedDetails' };
  if (SKIP.has(said)) return { type: 'user.skipped' };
  if (LATER.has(said)) return { type: 'user.postponed' };
  if (CONTINUE.has(said)) return { type: 'user.continued' };
  const answer = readShortAnswer(said, text);
  if (answer) return { type: SHORT_ANSWERS[answer] };

  const address = EMAIL.exec(text)?.[1];
  if (address && text.split(' ').length <= 8) return { type: 'user.gaveAddress', email: address };
  if (CONFIRM_ERASURE.has(said)) return { type: 'user.confirmedErasure' };
  if (CANCEL_ERASURE.has(said)) return { type: 'user.cancelledErasure' };
  for (const [reason, words] of Object.entries(REASONS) as [OptOutReason, ReadonlySet<string>][]) {
    if (words.has(said)) return { type: 'user.gaveReason', reason };
  }
  if (HUMAN.some((p) => p.test(said))) return { type: 'user.askedHuman' };
  if (RECEIPT.some((p) => p.test(said))) return { type: 'user.askedReceipt' };
  // Rights before questions: "what data do you have on me?" is an access request, not the data map.
  if (ERASURE.some((p) => p.test(said))) return { type: 'user.askedErasure' };
  if (EXPORT.some((p) => p.test(said))) return { type: 'user.askedExport' };

  const named = purposesNamedIn(text, catalogue);
  if (CHOICES.some((p) => p.test(said))) return { type: 'user.showedChoices' };
  if (CHANGE.some((p) => p.test(said))) {
    return { type: 'user.changing', purposes: purposeRefs(catalogue, named) };
  }
  for (const [pattern, topic] of QUESTIONS) {
    if (pattern.test(said)) {
      return named[0] === undefined
        ? { type: 'user.asked', topic }
        : { type: 'user.asked', topic, purposeId: named[0] };
    }
  }
  return { type: 'user.unclear' };
}

/** Card and button submissions carry their intent as data (Action.Submit / postBack values). */
const SUBMITTED: Readonly<Record<string, ConversationEvent['type']>> = {
  agree: 'user.agreed',
  agreeExplicitly: 'user.agreedExplicitly',
  refuse: 'user.refused',
  details: 'user.wantedDetails',
  skip: 'user.skipped',
  later: 'user.postponed',
  continue: 'user.continued',
  choices: 'user.showedChoices',
  help: 'user.helped',
};

export function understandSubmission(value: unknown): ConversationEvent | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const intent = (value as { intent?: unknown }).intent;
  // Own keys only: a crafted value such as { intent: 'constructor' } must not reach the machine.
  if (typeof intent !== 'string' || !Object.hasOwn(SUBMITTED, intent)) return undefined;
  const type = SUBMITTED[intent];
  return type ? ({ type } as ConversationEvent) : undefined;
}
