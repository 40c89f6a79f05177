import { describe, expect, it } from 'vitest';
import type { Utterance } from './corpus.js';
import { evaluate, failures, score } from './metrics.js';
import type { Prediction, Recogniser } from './recogniser.js';

const said = (text: string, intent: Utterance['intent'], purpose?: string): Utterance => ({
  text,
  intent,
  split: 'test',
  lang: 'en',
  ...(purpose === undefined ? {} : { purpose }),
});

const corpus: readonly Utterance[] = [
  said('stop', 'stop.all'),
  said('stop the newsletter', 'stop.purpose', 'newsletter'),
  said('stop the newsletter but keep the offers', 'stop.scoped', 'newsletter'),
  said('yes', 'yes'),
  said('no', 'no'),
  said('how long do you keep it?', 'ask.retention'),
  said('who gets my location?', 'ask.recipients', 'location'),
  said('can I change my mind later?', 'ask.withdrawal'),
];

/** A recogniser that answers from a table, and `otherwise` for anything not in it. */
function answering(table: Record<string, Prediction>, otherwise: Prediction): Recogniser {
  return { name: 'table', recognise: (text) => table[text] ?? otherwise };
}

const perfect = answering(
  {
    stop: { kind: 'stop', purposes: 'all' },
    'stop the newsletter': { kind: 'stop', purposes: ['newsletter'] },
    'stop the newsletter but keep the offers': { kind: 'stop', purposes: ['newsletter'] },
    yes: { kind: 'intent', intent: 'yes' },
    no: { kind: 'intent', intent: 'no' },
    'how long do you keep it?': { kind: 'intent', intent: 'ask.retention' },
    'who gets my location?': { kind: 'intent', intent: 'ask.recipients', purpose: 'location' },
  },
  { kind: 'intent', intent: 'ask.withdrawal' },
);

describe('scoring a recogniser over the corpus', () => {
  it('a recogniser that is always right meets every threshold', async () => {
    const report = score(await evaluate(perfect, corpus));
    expect(report.accuracy).toBe(1);
    expect(report.key.stopRecall.value).toBe(1);
    expect(report.key.falseStops.value).toBe(0);
    expect(report.key.topicPurpose.value).toBe(1);
    expect(failures(report.key)).toEqual([]);
    expect(report.outcomes.filter((o) => !o.correct)).toEqual([]);
  });

  it('hearing every message as a stop has full stop recall and fails on false stops', async () => {
    const report = score(await evaluate(answering({}, { kind: 'stop', purposes: 'all' }), corpus));
    expect(report.key.stopRecall.value).toBe(1);
    expect(report.key.falseStops).toMatchObject({ hits: 5, total: 5 });
    expect(report.key.yesNo.value).toBe(0);
    expect(failures(report.key)).toEqual(['falseStops', 'yesNo', 'topic']);
    const stopAll = report.perIntent.find((row) => row.intent === 'stop.all');
    expect(stopAll).toMatchObject({ support: 1, truePositives: 1, falsePositives: 7, recall: 1 });
    expect(stopAll?.precision).toBeCloseTo(1 / 8);
  });

  it('judges a stop by what it withdraws: too little is a missed stop, too much only a wrong scope', async () => {
    const recogniser = answering(
      {
        // Everything asked for is withdrawn, and the offers too.
        'stop the newsletter but keep the offers': {
          kind: 'stop',
          purposes: ['newsletter', 'personalised-offers'],
        },
        // "Stop" heard as the newsletter only: the other purposes go on.
        stop: { kind: 'stop', purposes: ['newsletter'] },
      },
      { kind: 'intent', intent: 'other' },
    );
    const report = score(await evaluate(recogniser, corpus));
    expect(report.key.stopHeard).toMatchObject({ hits: 2, total: 3 });
    expect(report.key.stopRecall).toMatchObject({ hits: 1, total: 3 });
    const labels = Object.fromEntries(report.outcomes.map((o) => [o.utterance.text, o.label]));
    expect(labels).toMatchObject({
      stop: 'stop.some',
      'stop the newsletter but keep the offers': 'stop.some',
      'stop the newsletter': 'other',
    });
    expect(report.confusion.get('stop.all')?.get('stop.some')).toBe(1);
  });

  it('counts a question about stopping heard as a stop as a false stop', async () => {
    const recogniser = answering(
      { 'can I change my mind later?': { kind: 'stop', purposes: 'all' } },
      { kind: 'intent', intent: 'other' },
    );
    const report = score(await evaluate(recogniser, corpus));
    expect(report.key.falseStops).toMatchObject({ hits: 1, total: 5 });
    expect(report.key.falseStops.value).toBeCloseTo(0.2);
  });

  it('counts a topic right even when the purpose is missed, and the purpose apart', async () => {
    const recogniser = answering(
      { 'who gets my location?': { kind: 'intent', intent: 'ask.recipients' } },
      { kind: 'intent', intent: 'other' },
    );
    const report = score(await evaluate(recogniser, corpus));
    expect(report.key.topic).toMatchObject({ hits: 1, total: 3 });
    expect(report.key.topicPurpose).toMatchObject({ hits: 0, total: 1 });
  });
});
