import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import raw from '../catalogue/default-catalogue.json' with { type: 'json' };
import { parseCatalogue } from '../bot/platform/catalogue-file.js';
import { loadCorpus } from './corpus.js';
import { evaluate, failures, score } from './metrics.js';
import { currentRules } from './recognisers/current-rules.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `npm run eval -- ...args`, as a process: its exit code and what it printed. */
function runEval(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'nlu/eval.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run eval', () => {
  it('with --enforce, fails exactly when the current rules miss a threshold on the test split', async () => {
    const test = loadCorpus().filter((u) => u.split === 'test');
    const missed = failures(score(await evaluate(currentRules(parseCatalogue(raw)), test)).key);

    const run = runEval('--enforce', '--summary');

    expect(run.status).toBe(missed.length > 0 ? 1 : 0);
    for (const name of missed) expect(run.stdout).toContain(name);
  });

  it('without --enforce, reports and succeeds whatever the scores', () => {
    const run = runEval('--summary');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/stop recall/);
    expect(run.stdout).toMatch(/false stops/);
  });

  it('prints every error of the split it reads, each with its text', async () => {
    const test = loadCorpus().filter((u) => u.split === 'test');
    const errors = (await evaluate(currentRules(parseCatalogue(raw)), test)).filter(
      (o) => !o.correct,
    );
    const run = runEval();
    expect(run.stdout).toContain(`Errors (${String(errors.length)})`);
    for (const { utterance } of errors)
      expect(run.stdout).toContain(JSON.stringify(utterance.text));
  });

  it('refuses an option or a recogniser it does not know, with its usage and exit code 2', () => {
    for (const args of [['--nope'], ['--recogniser', 'magic'], ['--split', 'validation']]) {
      const run = runEval(...args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^usage: npm run eval/);
    }
  });
});
