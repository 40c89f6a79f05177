/**
 * How a recogniser is judged against the corpus: per-intent precision, recall and F1, a confusion
 * table, and the few numbers the product depends on (THRESHOLDS).
 */
import { INTENTS, STOP_INTENTS, TOPIC_INTENTS, type Intent, type Utterance } from './corpus.js';
import type { Prediction, Recogniser } from './recogniser.js';

/**
 * What the product needs before a recogniser may talk to customers. A stop must always be obeyed
 * in full (GDPR art. 7(3): withdrawing is as easy as consenting); a false stop wipes consents the
 * customer gave on purpose; a yes or a no is a consent decision (art. 4(11): unambiguous).
 */
export const THRESHOLDS = {
  stopRecall: { at: 'least', value: 1 },
  falseStops: { at: 'most', value: 0.01 },
  yesNo: { at: 'least', value: 0.98 },
  topic: { at: 'least', value: 0.95 },
} as const;
export type Gated = keyof typeof THRESHOLDS;

/**
 * The label of a prediction, in the corpus's intents. A stop is named by what it withdraws: all
 * purposes is `stop.all`; exactly the purpose the customer named is the corpus's own intent (a
 * recogniser need not tell a scoped stop from a plain one, only withdraw the right purpose);
 * anything else is `stop.some`.
 */
export type Label = Intent | 'other' | 'stop.some';

export interface Outcome {
  readonly utterance: Utterance;
  readonly prediction: Prediction;
  readonly label: Label;
  readonly correct: boolean;
}

export interface Ratio {
  readonly hits: number;
  readonly total: number;
  /** hits / total; 1 when there is nothing to get right. */
  readonly value: number;
}

export interface KeyMetrics {
  /** Stops after which every purpose the customer asked to stop is withdrawn. */
  readonly stopRecall: Ratio;
  /** Stops heard as some withdrawal, whatever its scope. */
  readonly stopHeard: Ratio;
  /** Stops that withdraw exactly what was asked, no more. */
  readonly stopExact: Ratio;
  /** Utterances that are no stop but withdraw something. */
  readonly falseStops: Ratio;
  readonly yesNo: Ratio;
  readonly topic: Ratio;
  /** Questions naming a purpose, answered on the right topic for that purpose. */
  readonly topicPurpose: Ratio;
}

export interface IntentRow {
  readonly intent: Label;
  readonly support: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface Report {
  readonly outcomes: readonly Outcome[];
  readonly accuracy: number;
  /** Mean F1 over the intents the utterances carry. */
  readonly macroF1: number;
  readonly perIntent: readonly IntentRow[];
  /** Gold intent, then predicted label, then count. */
  readonly confusion: ReadonlyMap<Intent, ReadonlyMap<Label, number>>;
  readonly key: KeyMetrics;
}

const STOPS: ReadonlySet<string> = new Set(STOP_INTENTS);
const TOPICS: ReadonlySet<string> = new Set(TOPIC_INTENTS);

export function isStop(intent: string): boolean {
  return STOPS.has(intent);
}

export async function evaluate(
  recogniser: Recogniser,
  utterances: readonly Utterance[],
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const utterance of utterances) {
    const prediction = await recogniser.recognise(utterance.text, utterance.lang);
    outcomes.push(judge(utterance, prediction));
  }
  return outcomes;
}

export function judge(utterance: Utterance, prediction: Prediction): Outcome {
  const label = labelOf(utterance, prediction);
  return { utterance, prediction, label, correct: label === utterance.intent };
}

function labelOf(gold: Utterance, prediction: Prediction): Label {
  if (prediction.kind === 'intent') return prediction.intent;
  if (prediction.purposes === 'all') return 'stop.all';
  const exactly =
    (gold.intent === 'stop.purpose' || gold.intent === 'stop.scoped') &&
    prediction.purposes.length === 1 &&
    prediction.purposes[0] === gold.purpose;
  return exactly ? gold.intent : 'stop.some';
}

/** Every purpose the customer asked to stop is withdrawn (and maybe more). */
function withdrawsAllAsked(gold: Utterance, prediction: Prediction): boolean {
  if (prediction.kind !== 'stop') return false;
  if (prediction.purposes === 'all') return true;
  return gold.purpose !== undefined && gold.intent !== 'stop.all'
    ? prediction.purposes.includes(gold.purpose)
    : false;
}

export function score(outcomes: readonly Outcome[]): Report {
  const stops = outcomes.filter((o) => isStop(o.utterance.intent));
  const others = outcomes.filter((o) => !isStop(o.utterance.intent));
  const yesNo = outcomes.filter((o) => o.utterance.intent === 'yes' || o.utterance.intent === 'no');
  const topics = outcomes.filter((o) => TOPICS.has(o.utterance.intent));
  const key: KeyMetrics = {
    stopRecall: ratio(stops, (o) => withdrawsAllAsked(o.utterance, o.prediction)),
    stopHeard: ratio(stops, (o) => o.prediction.kind === 'stop'),
    stopExact: ratio(stops, (o) => o.correct),
    falseStops: ratio(others, (o) => o.prediction.kind === 'stop'),
    yesNo: ratio(yesNo, (o) => o.correct),
    topic: ratio(topics, (o) => o.correct),
    topicPurpose: ratio(
      topics.filter((o) => o.utterance.purpose !== undefined),
      (o) =>
        o.correct && o.prediction.kind === 'intent' && o.prediction.purpose === o.utterance.purpose,
    ),
  };

  const confusion = new Map<Intent, Map<Label, number>>();
  for (const { utterance, label } of outcomes) {
    const row = confusion.get(utterance.intent) ?? new Map<Label, number>();
    row.set(label, (row.get(label) ?? 0) + 1);
    confusion.set(utterance.intent, row);
  }

  const present = new Set<string>(outcomes.map((o) => o.utterance.intent));
  const labels: Label[] = [...INTENTS, 'stop.some', 'other'];
  const perIntent = labels
    .map((intent) => rowOf(intent, outcomes))
    .filter((row) => row.support > 0 || row.falsePositives > 0);
  const gold = perIntent.filter((row) => present.has(row.intent));
  return {
    outcomes,
    accuracy: ratio(outcomes, (o) => o.correct).value,
    macroF1: gold.length === 0 ? 1 : gold.reduce((sum, row) => sum + row.f1, 0) / gold.length,
    perIntent,
    confusion,
    key,
  };
}

function rowOf(intent: Label, outcomes: readonly Outcome[]): IntentRow {
  const support = outcomes.filter((o) => o.utterance.intent === intent).length;
  const truePositives = outcomes.filter((o) => o.utterance.intent === intent && o.correct).length;
  const predicted = outcomes.filter((o) => o.label === intent).length;
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = support === 0 ? 0 : truePositives / support;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    intent,
    support,
    truePositives,
    falsePositives: predicted - truePositives,
    precision,
    recall,
    f1,
  };
}

function ratio(outcomes: readonly Outcome[], hit: (o: Outcome) => boolean): Ratio {
  const hits = outcomes.filter(hit).length;
  return {
    hits,
    total: outcomes.length,
    value: outcomes.length === 0 ? 1 : hits / outcomes.length,
  };
}

/** The gated metrics that miss their threshold, in THRESHOLDS order. */
export function failures(key: KeyMetrics): Gated[] {
  return (Object.keys(THRESHOLDS) as Gated[]).filter((name) => {
    const { at, value } = THRESHOLDS[name];
    return at === 'least' ? key[name].value < value : key[name].value > value;
  });
}
