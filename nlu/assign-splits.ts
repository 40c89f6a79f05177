/**
 * Writes the `split` of every corpus line from the one rule in corpus.ts (`assignSplits`). Run it
 * after adding utterances (a new line may leave out `split`):
 *
 *   npx tsx nlu/assign-splits.ts
 *
 * Each utterance added or removed can move one other of its stratum between train and test: the
 * moves are printed, so that nobody keeps tuning on an utterance that has just become a test one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { assignSplits, corpusFile, LANGS, LineSchema, lineOf } from './corpus.js';

const Unsplit = LineSchema.extend({ split: LineSchema.shape.split.optional() });

const files = LANGS.map((lang) => {
  const lines = readFileSync(corpusFile(lang), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Unsplit.parse(JSON.parse(line)));
  return { lang, lines };
});
const items = files.flatMap(({ lang, lines }) => lines.map((line) => ({ ...line, lang })));
const splits = assignSplits(items);

let offset = 0;
let moved = 0;
for (const { lang, lines } of files) {
  const written = lines.map((line, index) => {
    const split = splits[offset + index] ?? 'train';
    if (line.split !== undefined && line.split !== split) {
      moved += 1;
      process.stdout.write(
        `moved to ${split}: ${lang} ${line.intent} ${JSON.stringify(line.text)}\n`,
      );
    }
    return lineOf({ ...line, split });
  });
  offset += lines.length;
  writeFileSync(corpusFile(lang), `${written.join('\n')}\n`);
}
process.stdout.write(`${String(items.length)} utterances, ${String(moved)} moved between splits\n`);
