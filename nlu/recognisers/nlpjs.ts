/**
 * Experiment: nlp.js (a small neural intent classifier, trained in seconds) learning the corpus's
 * intents from the train split, alone and behind the current rules. Not used by the bot.
 *
 * nlp.js only names an intent; which purposes a stop withdraws, or a question is about, comes from
 * the catalogue's keywords, as the rules find them (`purposesNamedIn`).
 */
import { LangEn } from '@nlpjs/lang-en';
import { LangFr } from '@nlpjs/lang-fr';
import { Nlp } from '@nlpjs/nlp';
import type { Catalogue } from '../../consent/catalogue.js';
import { purposesNamedIn } from '../../consent/opt-out.js';
import { INTENTS, LANGS, type Intent, type Lang, type Utterance } from '../corpus.js';
import type { Prediction, Recogniser } from '../recogniser.js';
import { readAsTheBotDoes } from './current-rules.js';

const KNOWN: ReadonlySet<string> = new Set(INTENTS);

class NlpjsModel {
  readonly #nlp = new Nlp({
    languages: [...LANGS],
    // No model file read or written, no training log, no sentiment: intents only.
    autoLoad: false,
    autoSave: false,
    calculateSentiment: false,
    nlu: { log: false },
  });

  constructor(private readonly catalogue: Catalogue) {
    this.#nlp.use(LangEn);
    this.#nlp.use(LangFr);
  }

  async train(utterances: readonly Utterance[]): Promise<void> {
    if (utterances.some((u) => u.split !== 'train')) {
      throw new Error('nlp.js learns from the train split only');
    }
    for (const { lang, text, intent } of utterances) this.#nlp.addDocument(lang, text, intent);
    await this.#nlp.train();
  }

  async recognise(text: string, lang: Lang): Promise<Prediction> {
    const { intent } = await this.#nlp.process(lang, text);
    // 'None': no intent above nlp.js's threshold, which is what an off-topic message should get.
    const known: Intent = KNOWN.has(intent) ? (intent as Intent) : 'offtopic';
    const named = purposesNamedIn(text, this.catalogue);
    switch (known) {
      case 'stop.all':
        return { kind: 'stop', purposes: 'all' };
      case 'stop.purpose':
      case 'stop.scoped':
        // Nothing named: stopping everything is the safe reading of a stop (GDPR art. 7(3)).
        return { kind: 'stop', purposes: named.length > 0 ? named : 'all' };
      default:
        return named[0] === undefined
          ? { kind: 'intent', intent: known }
          : { kind: 'intent', intent: known, purpose: named[0] };
    }
  }
}

/** nlp.js alone. */
export function nlpjs(catalogue: Catalogue): Recogniser {
  const model = new NlpjsModel(catalogue);
  return {
    name: 'nlpjs',
    train: (utterances) => model.train(utterances),
    recognise: (text, lang) => model.recognise(text, lang),
  };
}

/**
 * The rules decide what they were written to be sure of (a stop, a yes, a no: the guard's
 * withdrawal and `understand`'s whole-message answers); nlp.js reads everything else.
 */
export function rulesInFront(catalogue: Catalogue): Recogniser {
  const model = new NlpjsModel(catalogue);
  return {
    name: 'rules-in-front',
    train: (utterances) => model.train(utterances),
    recognise: (text, lang) => {
      const rules = readAsTheBotDoes(text, catalogue);
      const sure = rules.kind === 'stop' || ['yes', 'no'].includes(rules.intent);
      return sure ? rules : model.recognise(text, lang);
    },
  };
}

/** The rules whenever they understand something; nlp.js only for what they do not. */
export function rulesThenNlpjs(catalogue: Catalogue): Recogniser {
  const model = new NlpjsModel(catalogue);
  return {
    name: 'rules-then-nlpjs',
    train: (utterances) => model.train(utterances),
    recognise: (text, lang) => {
      const rules = readAsTheBotDoes(text, catalogue);
      const understood =
        rules.kind === 'stop' || (rules.intent !== 'offtopic' && rules.intent !== 'other');
      return understood ? rules : model.recognise(text, lang);
    },
  };
}
