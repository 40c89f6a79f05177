import { describe, expect, it } from 'vitest';
import raw from '../../catalogue/default-catalogue.json' with { type: 'json' };
import { parseCatalogue } from '../../bot/platform/catalogue-file.js';
import { currentRules, fromEvent } from './current-rules.js';

const rules = currentRules(parseCatalogue(raw));
const read = (text: string) => rules.recognise(text, 'en');

describe('the current rules, read as the bot reads a message', () => {
  it('withdraws what the opt-out guard withdraws, before the conversation sees the text', () => {
    expect(read('stop')).toEqual({ kind: 'stop', purposes: 'all' });
    expect(read('stop the newsletter')).toEqual({ kind: 'stop', purposes: ['newsletter'] });
    // "yes" is a yes for the conversation; the guard finds no stop in it.
    expect(read('yes')).toEqual({ kind: 'intent', intent: 'yes' });
  });

  it('maps question topics, with the purpose named', () => {
    expect(read('how long do you keep my location?')).toEqual({
      kind: 'intent',
      intent: 'ask.retention',
      purpose: 'location',
    });
    expect(read('who are you?')).toEqual({ kind: 'intent', intent: 'ask.controller' });
  });

  it('counts what the rules do not understand as off-topic, and events no intent stands for as other', () => {
    expect(read('qwertyuiop')).toEqual({ kind: 'intent', intent: 'offtopic' });
    expect(fromEvent({ type: 'user.showedChoices' })).toEqual({ kind: 'intent', intent: 'other' });
    expect(fromEvent({ type: 'user.postponed' })).toEqual({ kind: 'intent', intent: 'hesitation' });
  });
});
