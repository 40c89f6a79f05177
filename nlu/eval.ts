/**
 * `npm run eval`: runs recognisers over the labelled corpus and prints how they do.
 *
 *   npm run eval                                  the current rules, on the test split
 *   npm run eval -- --recogniser all              rules, nlp.js, and the two hybrids
 *   npm run eval -- --split all --summary         every utterance; no confusion, no errors
 *   npm run eval -- --enforce                     exits 1 below the product's THRESHOLDS
 *
 * Trainable recognisers learn from the train split only; never tune anything on the test split.
 */
import { parseArgs } from 'node:util';
import raw from '../catalogue/default-catalogue.json' with { type: 'json' };
import { parseCatalogue } from '../bot/platform/catalogue-file.js';
import type { Catalogue } from '../consent/catalogue.js';
import { LANGS, loadCorpus } from './corpus.js';
import {
  evaluate,
  failures,
  score,
  THRESHOLDS,
  type Gated,
  type Outcome,
  type Ratio,
  type Report,
} from './metrics.js';
import type { Prediction, Recogniser } from './recogniser.js';
import { currentRules } from './recognisers/current-rules.js';

/** Every recogniser the command knows. nlp.js is loaded only when asked for: an experiment. */
const RECOGNISERS: Readonly<Record<string, (catalogue: Catalogue) => Promise<Recogniser>>> = {
  rules: (catalogue) => Promise.resolve(currentRules(catalogue)),
  nlpjs: async (catalogue) => (await import('./recognisers/nlpjs.js')).nlpjs(catalogue),
  'rules-in-front': async (catalogue) =>
    (await import('./recognisers/nlpjs.js')).rulesInFront(catalogue),
  'rules-then-nlpjs': async (catalogue) =>
    (await import('./recognisers/nlpjs.js')).rulesThenNlpjs(catalogue),
};

/** The command line, or undefined when it is not one this command understands. */
function readOptions() {
  try {
    const { values } = parseArgs({
      options: {
        recogniser: { type: 'string', multiple: true, default: ['rules'] },
        split: { type: 'string', default: 'test' },
        enforce: { type: 'boolean', default: false },
        summary: { type: 'boolean', default: false },
      },
    });
    const names = values.recogniser.includes('all') ? Object.keys(RECOGNISERS) : values.recogniser;
    const known = names.every((name) => Object.hasOwn(RECOGNISERS, name));
    return known && ['test', 'train', 'all'].includes(values.split)
      ? { ...values, names }
      : undefined;
  } catch {
    return undefined;
  }
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<number> {
  const values = readOptions();
  if (!values) {
    process.stderr.write(
      `usage: npm run eval -- [--recogniser ${Object.keys(RECOGNISERS).join('|')}|all]... ` +
        '[--split test|train|all] [--enforce] [--summary]\n',
    );
    return 2;
  }
  const { names } = values;
  const catalogue = parseCatalogue(raw);
  const corpus = loadCorpus();
  const train = corpus.filter((u) => u.split === 'train');
  const judged = corpus.filter((u) => values.split === 'all' || u.split === values.split);

  out(
    `Corpus: ${String(corpus.length)} utterances (train ${String(train.length)}, test ${String(corpus.length - train.length)})`,
  );
  out(
    `Split evaluated: ${values.split} (${String(judged.length)} utterances: ${LANGS.map((l) => `${l} ${String(judged.filter((u) => u.lang === l).length)}`).join(', ')})`,
  );

  let failed = false;
  const summaries: [string, Report][] = [];
  for (const name of names) {
    const make = RECOGNISERS[name];
    if (!make) continue; // readOptions let only known names through
    const recogniser = await make(catalogue);
    if (recogniser.train) {
      await recogniser.train(train);
      if (values.split !== 'test')
        out(`\nNOTE: ${name} learnt from the train split, scored here too.`);
    }
    const report = score(await evaluate(recogniser, judged));
    summaries.push([name, report]);
    print(name, report, values.summary);
    const missed = failures(report.key);
    if (values.enforce && missed.length > 0) {
      failed = true;
      out(`ENFORCE: ${name} is below the threshold for ${missed.join(', ')}`);
    }
  }
  if (summaries.length > 1) printComparison(summaries);
  return failed ? 1 : 0;
}

function print(name: string, report: Report, summary: boolean): void {
  const { key } = report;
  const missed = failures(key);
  out(`\n=== ${name} ===`);
  out('Key metrics');
  const gated = (label: string, metric: Gated) => {
    const { at, value } = THRESHOLDS[metric];
    const ok = !missed.includes(metric);
    out(
      `  ${label.padEnd(44)}${fraction(key[metric]).padEnd(20)}${at === 'least' ? '>=' : '<='} ${percent(value).padEnd(8)}${ok ? 'ok' : 'BELOW'}`,
    );
  };
  gated('stop recall (all asked for withdrawn)', 'stopRecall');
  gated('false stops (share of non-stop utterances)', 'falseStops');
  gated('yes/no accuracy', 'yesNo');
  gated('question-topic accuracy', 'topic');
  out(`  ${'stops heard as any withdrawal'.padEnd(44)}${fraction(key.stopHeard)}`);
  out(`  ${'stops withdrawing exactly what was asked'.padEnd(44)}${fraction(key.stopExact)}`);
  out(`  ${'topic and named purpose both right'.padEnd(44)}${fraction(key.topicPurpose)}`);
  out(`  ${'accuracy'.padEnd(44)}${percent(report.accuracy)}`);
  out(`  ${'macro F1'.padEnd(44)}${percent(report.macroF1)}`);
  out('  by language          stop recall  false stops       yes/no        topic     accuracy');
  for (const lang of LANGS) {
    const part = score(report.outcomes.filter((o) => o.utterance.lang === lang));
    const cells = [
      part.key.stopRecall.value,
      part.key.falseStops.value,
      part.key.yesNo.value,
      part.key.topic.value,
      part.accuracy,
    ];
    out(`    ${lang.padEnd(18)}${cells.map((v) => percent(v).padStart(13)).join('')}`);
  }
  if (summary) return;

  out('\nPer intent                   n     P       R       F1');
  for (const row of report.perIntent) {
    out(
      `  ${row.intent.padEnd(24)}${String(row.support).padStart(4)}  ${percent(row.precision).padStart(6)}  ${percent(row.recall).padStart(6)}  ${percent(row.f1).padStart(6)}`,
    );
  }

  out('\nConfusion (gold intent: n, right, then what the wrong ones were read as)');
  for (const [gold, row] of report.confusion) {
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    const wrong = [...row]
      .filter(([label]) => label !== gold)
      .sort((a, b) => b[1] - a[1])
      .map(([label, count]) => `${label} ${String(count)}`);
    out(
      `  ${gold.padEnd(24)}${String(total).padStart(4)} ${String(row.get(gold) ?? 0).padStart(4)}  ${wrong.join(', ')}`,
    );
  }

  const errors = report.outcomes.filter((o) => !o.correct);
  out(`\nErrors (${String(errors.length)})`);
  for (const error of errors) out(`  ${describe(error)}`);
}

function printComparison(summaries: readonly [string, Report][]): void {
  out('\n=== comparison ===');
  out(
    `  ${''.padEnd(20)}${['stop recall', 'false stops', 'yes/no', 'topic', 'accuracy', 'macro F1'].map((h) => h.padStart(13)).join('')}`,
  );
  for (const [name, { key, accuracy, macroF1 }] of summaries) {
    const cells = [
      key.stopRecall.value,
      key.falseStops.value,
      key.yesNo.value,
      key.topic.value,
      accuracy,
      macroF1,
    ];
    out(`  ${name.padEnd(20)}${cells.map((v) => percent(v).padStart(13)).join('')}`);
  }
}

function describe({ utterance, prediction, label }: Outcome): string {
  const gold = `${utterance.intent}${utterance.purpose ? `(${utterance.purpose})` : ''}`;
  return `${utterance.lang} ${gold.padEnd(36)} -> ${predicted(prediction, label).padEnd(36)} ${JSON.stringify(utterance.text)}`;
}

function predicted(prediction: Prediction, label: string): string {
  if (prediction.kind === 'stop') {
    return `${label}(${prediction.purposes === 'all' ? 'all' : prediction.purposes.join('+')})`;
  }
  return `${label}${prediction.purpose ? `(${prediction.purpose})` : ''}`;
}

function fraction(ratio: Ratio): string {
  return `${percent(ratio.value)} (${String(ratio.hits)}/${String(ratio.total)})`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

process.exitCode = await main();
