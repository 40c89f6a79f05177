import type { Intent, Lang, StopIntent, Utterance } from './corpus.js';

/**
 * What a recogniser made of one utterance, in the corpus's terms. A stop is judged by what it
 * withdraws (every purpose, or these), not by what the recogniser calls it: the customer sees the
 * purposes withdrawn, not a label.
 */
export type Prediction =
  | { readonly kind: 'stop'; readonly purposes: readonly string[] | 'all' }
  | {
      readonly kind: 'intent';
      /** `other`: something the bot does that no corpus intent stands for (e.g. "show my choices"). */
      readonly intent: Exclude<Intent, StopIntent> | 'other';
      /** The purpose the utterance is about, when the recogniser found one. */
      readonly purpose?: string;
    };

/** Anything that can be evaluated: the current rules, nlp.js, or both in a row. */
export interface Recogniser {
  readonly name: string;
  /** Trainable recognisers learn here, from the train split only. */
  train?(utterances: readonly Utterance[]): Promise<void>;
  recognise(text: string, lang: Lang): Prediction | Promise<Prediction>;
}
