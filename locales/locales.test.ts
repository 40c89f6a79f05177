import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOCALES, type Locale } from '../consent/catalogue.js';
import { deriveStatuses } from '../consent/ledger.js';
import { loadCatalogue } from '../bot/platform/catalogue-file.js';
import { createTranslator, RESOURCES } from '../bot/platform/i18n.js';
import { purposeNotice, type RenderInput } from '../bot/chat/render.js';
import { renderOutputs } from '../bot/chat/outputs/index.js';
import { QUESTION_TOPICS } from '../dialogs/events.js';
import { SAY_KEYS, type ConversationOutput } from '../dialogs/outputs.js';

/** Flattens nested resources to dotted keys, as i18next addresses them. */
function flatten(resource: object, prefix = ''): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [key, value] of Object.entries(resource)) {
    const path = `${prefix}${key}`;
    if (typeof value === 'string') flat.set(path, value);
    else if (value && typeof value === 'object') {
      for (const entry of flatten(value as object, `${path}.`)) flat.set(...entry);
    } else flat.set(path, String(value));
  }
  return flat;
}

const FLAT: Record<Locale, Map<string, string>> = {
  en: flatten(RESOURCES.en),
  fr: flatten(RESOURCES.fr),
};

const ALL_KEYS = new Set(LOCALES.flatMap((locale) => [...FLAT[locale].keys()]));

const placeholders = (value: string): string[] =>
  [...new Set([...value.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1] ?? ''))].sort();

/**
 * Sentences as a reader meets them: split after . ! ? or : followed by a space or the end, and
 * at line breaks (each line of a message is read on its own).
 */
function sentences(value: string): string[] {
  return value
    .split(/[.!?:](?=\s|$)|\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Words a reader reads: bullets, dashes and lone punctuation are not words. */
const wordCount = (sentence: string): number =>
  sentence.split(/\s+/).filter((token) => /[\p{L}\p{N}]/u.test(token)).length;

/** The product asks for sentences under 20 words; 25 is the hard limit a test enforces. */
const MAX_WORDS = 25;

describe('locale files', () => {
  it('have exactly the same keys in en and fr', () => {
    const onlyIn = (a: Locale, b: Locale) => [...FLAT[a].keys()].filter((k) => !FLAT[b].has(k));
    expect({ onlyInEn: onlyIn('en', 'fr'), onlyInFr: onlyIn('fr', 'en') }).toEqual({
      onlyInEn: [],
      onlyInFr: [],
    });
  });

  it('have no empty value', () => {
    const empty = LOCALES.flatMap((locale) =>
      [...FLAT[locale]].filter(([, value]) => value.trim() === '').map(([k]) => `${locale}:${k}`),
    );
    expect(empty).toEqual([]);
  });

  it('have every key the conversation says', () => {
    const missing = LOCALES.flatMap((locale) =>
      SAY_KEYS.filter((key) => !FLAT[locale].has(key)).map((key) => `${locale}:${key}`),
    );
    expect(missing).toEqual([]);
  });

  it('use the same placeholders for a key in en and fr', () => {
    const differing = [...FLAT.en.keys()]
      .filter((key) => FLAT.fr.has(key))
      .map((key) => ({
        key,
        en: placeholders(FLAT.en.get(key) ?? ''),
        fr: placeholders(FLAT.fr.get(key) ?? ''),
      }))
      .filter(({ en, fr }) => en.join() !== fr.join());
    expect(differing).toEqual([]);
  });

  it(`keep every sentence to at most ${MAX_WORDS} words`, () => {
    const measured = LOCALES.flatMap((locale) =>
      [...FLAT[locale]].flatMap(([key, value]) =>
        sentences(value).map((sentence) => ({
          where: `${locale}:${key}`,
          words: wordCount(sentence),
          sentence,
        })),
      ),
    );
    for (const locale of LOCALES) {
      const longest = measured
        .filter((m) => m.where.startsWith(`${locale}:`))
        .reduce((a, b) => (b.words > a.words ? b : a));
      console.info(`longest ${locale} sentence: ${longest.words} words (${longest.where})`);
    }
    const offenders = measured
      .filter((m) => m.words > MAX_WORDS)
      .map((m) => `${m.where} (${m.words} words): ${m.sentence}`);
    expect(offenders, `sentences over ${MAX_WORDS} words:\n${offenders.join('\n')}`).toEqual([]);
  });
});

describe('every message the bot can render', () => {
  const catalogue = loadCatalogue(
    fileURLToPath(new URL('../catalogue/default-catalogue.json', import.meta.url)),
  );
  const translator = createTranslator();
  const purposeIds = catalogue.purposes.map((p) => p.id);

  const outputs: readonly ConversationOutput[] = [
    ...SAY_KEYS.map((key) => ({ type: 'say' as const, key })),
    ...purposeIds.flatMap((purposeId) =>
      (['question', 'explicit'] as const).flatMap((step) =>
        [false, true].map((brief) => ({ type: 'ask' as const, purposeId, step, brief })),
      ),
    ),
    ...purposeIds.map((purposeId) => ({ type: 'details' as const, purposeId })),
    ...QUESTION_TOPICS.flatMap((topic) =>
      [null, ...purposeIds].map((purposeId) => ({ type: 'answer' as const, topic, purposeId })),
    ),
    { type: 'summary', postponed: [] },
    { type: 'summary', postponed: purposeIds.slice(0, 2) },
    { type: 'choices' },
    ...purposeIds.flatMap((purposeId) =>
      (['given', 'refused'] as const).map((decision) => ({
        type: 'record' as const,
        purposeId,
        decision,
        explicit: false,
      })),
    ),
  ];

  /** A known key, or the start of one ("answer.collect" of "answer.collect.intro"). */
  const rawKeys = (text: string): string[] =>
    [...text.matchAll(/\b[a-z]+(?:\.[a-zA-Z-]+)+\b/g)]
      .map((m) => m[0])
      .filter((found) => [...ALL_KEYS].some((k) => k === found || k.startsWith(`${found}.`)));

  const problemsIn = (text: string): string[] => [
    ...rawKeys(text).map((key) => `raw key ${key}`),
    ...(['undefined', 'null', '[object Object]', 'NaN', '{{', '}}'] as const)
      .filter((bad) => text.includes(bad))
      .map((bad) => `contains ${bad}`),
    ...(text.trim() === '' ? ['empty'] : []),
  ];

  for (const locale of LOCALES) {
    describe(locale, () => {
      const input: RenderInput = {
        catalogue,
        locale,
        t: translator(locale),
        transcriptRetentionDays: 90,
        statuses: () => Promise.resolve(deriveStatuses(catalogue, [])),
      };

      it('renders each output with no raw key, undefined or placeholder left', async () => {
        const problems: string[] = [];
        for (const output of outputs) {
          // One output at a time: a brief ask after its full ask in the same turn is dropped.
          const replies = await renderOutputs(input, [output]);
          const texts = replies.flatMap((reply) => [
            reply.text ?? '',
            ...(reply.suggestedActions?.actions ?? []).map((a) => a.title),
          ]);
          if (texts.length === 0) problems.push(`${JSON.stringify(output)}: nothing rendered`);
          for (const text of texts) {
            for (const problem of problemsIn(text)) {
              problems.push(`${JSON.stringify(output)}: ${problem} in ${JSON.stringify(text)}`);
            }
          }
        }
        expect(problems, problems.join('\n')).toEqual([]);
      });

      it('renders the notice of every purpose and step in this language', () => {
        const problems = purposeIds.flatMap((purposeId) =>
          (['question', 'explicit'] as const).flatMap((step) => {
            const notice = purposeNotice(input, purposeId, step);
            if (!notice) return [`${purposeId}/${step}: no notice`];
            expect(notice).toMatchObject({ purposeId, locale, purposeVersion: 1 });
            expect(notice.hash).toMatch(/^[0-9a-f]{64}$/);
            return problemsIn(notice.text).map((p) => `${purposeId}/${step}: ${p}`);
          }),
        );
        expect(problems, problems.join('\n')).toEqual([]);
      });
    });
  }

  it('gives each purpose a different notice per language and step', () => {
    const hashes = LOCALES.flatMap((locale) =>
      purposeIds.flatMap((purposeId) =>
        (['question', 'explicit'] as const).map(
          (step) =>
            purposeNotice({ catalogue, locale, t: translator(locale) }, purposeId, step)?.hash,
        ),
      ),
    );
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});
