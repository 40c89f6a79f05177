import { describe, expect, it } from 'vitest';
import raw from '../../catalogue/default-catalogue.json' with { type: 'json' };
import { parseCatalogue } from '../../bot/platform/catalogue-file.js';
import { loadCorpus } from '../corpus.js';
import { currentRules } from './current-rules.js';
import { nlpjs, rulesInFront } from './nlpjs.js';

const catalogue = parseCatalogue(raw);
const corpus = loadCorpus();
const train = corpus.filter((u) => u.split === 'train');
const test = corpus.filter((u) => u.split === 'test');

describe('the nlp.js experiment', () => {
  it('learns from the train split only', async () => {
    await expect(nlpjs(catalogue).train?.(test.slice(0, 1))).rejects.toThrow(/train split only/);
  });

  it('reads a greeting it was trained on as one', async () => {
    const recogniser = nlpjs(catalogue);
    await recogniser.train?.(train);
    const greeting = train.find((u) => u.intent === 'greeting' && u.lang === 'en');
    expect(await recogniser.recognise(greeting?.text ?? '', 'en')).toEqual({
      kind: 'intent',
      intent: 'greeting',
    });
  });

  it('with the rules in front, every stop and every yes or no of the rules stands', async () => {
    const rules = currentRules(catalogue);
    const hybrid = rulesInFront(catalogue);
    await hybrid.train?.(train);
    for (const { text, lang } of test) {
      const byRules = await rules.recognise(text, lang);
      const sure = byRules.kind === 'stop' || ['yes', 'no'].includes(byRules.intent);
      if (sure) expect(await hybrid.recognise(text, lang)).toEqual(byRules);
    }
  });
});
