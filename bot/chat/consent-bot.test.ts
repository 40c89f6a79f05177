import { describe, expect, it } from 'vitest';
import { catalogue, startTestBot } from '../../test/harness.js';
import { createTranslator } from '../platform/i18n.js';

/** The first message of a conversation, through the real guard, bot and turn runner. */
const t = createTranslator()('en');
const welcome = t('welcome.new', { controller: catalogue.controller.name });

describe('a conversation the person opens by writing', () => {
  it('takes a first "yes" as no decision: it welcomes, asks, and records nothing', async () => {
    const bot = startTestBot();
    const seen = await bot.say('yes');
    expect(seen[0]?.text).toBe(welcome);
    expect(seen).toHaveLength(2);
    expect(await bot.stores.ledger.history(bot.subject)).toEqual([]);
  });

  it('asks to confirm a first "delete my data", with no round of questions first', async () => {
    const bot = startTestBot();
    const seen = await bot.say('delete my data');
    expect(seen).toEqual([
      {
        text: t('erasure.confirm'),
        buttons: [t('button.eraseConfirm'), t('button.eraseCancel')],
      },
    ]);
    // "No" goes back to where the person was: a conversation not started yet.
    expect((await bot.say('no'))[0]?.text).toBe(t('erasure.cancelled'));
    expect((await bot.say('hello'))[0]?.text).toBe(welcome);
  });

  it('answers a first "what do you have on me?" with the data, with no round first', async () => {
    const bot = startTestBot();
    const seen = await bot.say('what do you have on me?');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.text).not.toBe(t('export.failed'));
    expect(seen[0]?.text).not.toBe(welcome);
    expect(seen[0]?.text.length).toBeGreaterThan(0);
    expect((await bot.say('hello'))[0]?.text).toBe(welcome);
  });
});
