import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assignSplits,
  corpusFile,
  identityOf,
  INTENTS,
  LANGS,
  lineOf,
  loadCorpus,
  parseCorpus,
  SPLITS,
  TEST_SHARE,
} from './corpus.js';

// Reads the committed files: a bad line fails here, with its file and line number.
const corpus = loadCorpus();

describe('the labelled corpus', () => {
  it('has at least 600 utterances, in both languages', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(600);
    for (const lang of LANGS) {
      expect(corpus.filter((u) => u.lang === lang).length).toBeGreaterThanOrEqual(250);
    }
  });

  it('has every intent in both languages and both splits', () => {
    const missing = LANGS.flatMap((lang) =>
      INTENTS.flatMap((intent) =>
        SPLITS.filter(
          (split) =>
            !corpus.some((u) => u.lang === lang && u.intent === intent && u.split === split),
        ).map((split) => `${lang} ${intent} ${split}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('names the purpose a stop of one purpose withdraws, and none for a stop of everything', () => {
    const unscoped = corpus.filter(
      (u) => (u.intent === 'stop.purpose' || u.intent === 'stop.scoped') && !u.purpose,
    );
    expect(unscoped.map((u) => u.text)).toEqual([]);
    const scoped = corpus.filter((u) => u.intent === 'stop.all' && u.purpose);
    expect(scoped.map((u) => u.text)).toEqual([]);
  });

  it('has no utterance twice, whatever its case, accents or punctuation', () => {
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const { text } of corpus) {
      const identity = identityOf(text);
      const first = seen.get(identity);
      if (first !== undefined)
        duplicates.push(`${JSON.stringify(text)} = ${JSON.stringify(first)}`);
      seen.set(identity, text);
    }
    expect(duplicates).toEqual([]);
  });

  it('holds the split the rule gives, so no utterance was moved between splits by hand', () => {
    const splits = assignSplits(corpus);
    const moved = corpus.filter((u, i) => u.split !== splits[i]).map((u) => u.text);
    expect(moved).toEqual([]);
  });

  it('puts about 30% of every intent of every language in the test split', () => {
    for (const lang of LANGS) {
      for (const intent of INTENTS) {
        const stratum = corpus.filter((u) => u.lang === lang && u.intent === intent);
        const test = stratum.filter((u) => u.split === 'test').length;
        expect(test, `${lang} ${intent}`).toBe(Math.floor(stratum.length * TEST_SHARE));
      }
    }
  });

  it('is written one canonical line per utterance', () => {
    for (const lang of LANGS) {
      const lines = readFileSync(corpusFile(lang), 'utf8').trimEnd().split('\n');
      const items = parseCorpus(lines.join('\n'), lang);
      expect(items.map(({ lang: _lang, ...line }) => lineOf(line))).toEqual(lines);
    }
  });
});

describe('the split rule', () => {
  const stratum = (n: number, intent: (typeof INTENTS)[number] = 'yes') =>
    Array.from({ length: n }, (_, i) => ({
      lang: 'en' as const,
      intent,
      text: `utterance ${String(i)}`,
    }));

  it('does not depend on the order of the file', () => {
    const items = [...stratum(10), ...stratum(7, 'no')];
    const splits = assignSplits(items);
    const reversed = assignSplits([...items].reverse()).reverse();
    expect(reversed).toEqual(splits);
  });

  it('puts exactly floor(30%) of a stratum in test, stratum by stratum', () => {
    const splits = assignSplits([...stratum(10), ...stratum(20, 'no')]);
    expect(splits.slice(0, 10).filter((s) => s === 'test')).toHaveLength(3);
    expect(splits.slice(10).filter((s) => s === 'test')).toHaveLength(6);
  });

  it('moves at most one utterance of a stratum when one is added to it', () => {
    for (let n = 5; n <= 40; n += 1) {
      const before = assignSplits(stratum(n));
      const after = assignSplits([
        ...stratum(n),
        { lang: 'en', intent: 'yes', text: `new ${String(n)}` },
      ]);
      const moved = before.filter((split, i) => after[i] !== split);
      expect(moved.length, `stratum of ${String(n)}`).toBeLessThanOrEqual(1);
    }
  });

  it('ignores case, accents and punctuation, as duplicates do', () => {
    expect(identityOf('  Arrêtez   TOUT !!')).toBe(identityOf('arretez tout'));
  });

  it('rejects a line with an unknown intent or purpose, naming the line', () => {
    const good = lineOf({ text: 'stop', intent: 'stop.all', split: 'test' });
    expect(() =>
      parseCorpus(`${good}\n{"text":"x","intent":"maybe","split":"test"}`, 'en'),
    ).toThrow(/line 2/);
    expect(() =>
      parseCorpus('{"text":"x","intent":"stop.purpose","purpose":"sms","split":"test"}', 'en'),
    ).toThrow(/line 1/);
  });
});
