/**
 * The labelled corpus of how customers talk to the bot (nlu/corpus/*.jsonl), and the one rule that
 * splits it into a train and a test part. README.md beside this file says how it was written.
 *
 * Self-contained on purpose: it does not use the bot's own text normalisation (consent/), so that a
 * change to the recogniser can never move an utterance from one split to the other.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import catalogue from '../catalogue/default-catalogue.json' with { type: 'json' };

export const LANGS = ['en', 'fr'] as const;
export type Lang = (typeof LANGS)[number];

/** Questions the bot should answer from the data map (GDPR art. 12-14), one intent per topic. */
export const TOPIC_INTENTS = [
  'ask.controller',
  'ask.dpo',
  'ask.purposes',
  'ask.data',
  'ask.recipients',
  'ask.transfers',
  'ask.retention',
  'ask.rights',
  'ask.withdrawal',
  'ask.complaint',
  'ask.required',
  'ask.automated',
  'ask.recorded',
  'ask.cookies',
  'ask.sell',
  'ask.security',
] as const;

/** Withdrawals (GDPR art. 7(3)): of everything, of one purpose, of one while keeping others. */
export const STOP_INTENTS = ['stop.all', 'stop.purpose', 'stop.scoped'] as const;
export type StopIntent = (typeof STOP_INTENTS)[number];
export type TopicIntent = (typeof TOPIC_INTENTS)[number];

export const INTENTS = [
  'yes',
  'no',
  ...TOPIC_INTENTS,
  ...STOP_INTENTS,
  'restart',
  'greeting',
  'help',
  'handoff',
  'request.export',
  'request.erase',
  'hesitation',
  'offtopic',
] as const;
export type Intent = (typeof INTENTS)[number];

export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const PURPOSE_IDS: readonly string[] = catalogue.purposes.map((p) => p.id);

/** Share of each stratum (one intent in one language) that goes to the test split. */
export const TEST_SHARE = 0.3;

/** One line of a corpus file, as written in the file. */
export const LineSchema = z.strictObject({
  text: z.string().trim().min(1),
  intent: z.enum(INTENTS),
  /** For a stop of one purpose, or a scoped stop: the purpose withdrawn. Elsewhere: named. */
  purpose: z.enum(PURPOSE_IDS as [string, ...string[]]).optional(),
  split: z.enum(SPLITS),
});
export type Line = z.infer<typeof LineSchema>;

export interface Utterance extends Line {
  readonly lang: Lang;
}

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

export function corpusFile(lang: Lang, dir = CORPUS_DIR): string {
  return `${dir}${lang}.jsonl`;
}

/** Reads and validates the corpus; throws with the file and line of the first bad line. */
export function loadCorpus(dir = CORPUS_DIR): Utterance[] {
  return LANGS.flatMap((lang) => parseCorpus(readFileSync(corpusFile(lang, dir), 'utf8'), lang));
}

export function parseCorpus(jsonl: string, lang: Lang): Utterance[] {
  return jsonl
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      const parsed = LineSchema.safeParse(JSON.parse(line));
      if (!parsed.success) {
        throw new Error(`${lang}.jsonl line ${String(number)}: ${parsed.error.message}`);
      }
      return { ...parsed.data, lang };
    });
}

/**
 * What makes two utterances the same: case, accents, punctuation and spacing aside. Used to
 * refuse duplicates and to order a stratum for the split.
 */
export function identityOf(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The split of every utterance, stratified: within one intent in one language, the
 * `floor(n * TEST_SHARE)` utterances with the smallest hashes of their text go to test (a stratum
 * of 10 has exactly 3). It depends on the texts only, not on the order of the file, and is stable:
 * adding or removing an utterance moves at most one other of its stratum across the line.
 */
export function assignSplits(
  items: readonly { readonly lang: Lang; readonly intent: Intent; readonly text: string }[],
): Split[] {
  const strata = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = `${item.lang} ${item.intent}`;
    strata.set(key, [...(strata.get(key) ?? []), index]);
  });
  const splits: Split[] = items.map(() => 'train');
  for (const indexes of strata.values()) {
    const ordered = indexes
      .map((index) => ({ index, hash: hashOf(items[index]?.text ?? '') }))
      .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : a.index - b.index));
    for (const { index } of ordered.slice(0, Math.floor(ordered.length * TEST_SHARE))) {
      splits[index] = 'test';
    }
  }
  return splits;
}

function hashOf(text: string): string {
  return createHash('sha256').update(identityOf(text)).digest('hex');
}

/** A corpus line as it is written: fixed key order, one line, no trailing spaces. */
export function lineOf(item: Line): string {
  const { text, intent, purpose, split } = item;
  return JSON.stringify(
    purpose === undefined ? { text, intent, split } : { text, intent, purpose, split },
  );
}
