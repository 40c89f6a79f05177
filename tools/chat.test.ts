import { describe, expect, it } from 'vitest';
import {
  type CardAction,
  cardTexts,
  choiceToActivityPart,
  currentChoices,
  inputToActivityPart,
  renderReplies,
} from './chat.js';

const yesNo: CardAction[] = [
  { type: 'imBack', title: 'Yes', value: 'Yes' },
  { type: 'imBack', title: 'No', value: 'No' },
];

describe('renderReplies', () => {
  it('prints message texts and the suggested actions as numbered choices', () => {
    const out = renderReplies([
      { type: 'message', text: 'Hello!' },
      { type: 'message', text: 'May we email you?', suggestedActions: { actions: yesNo } },
    ]);
    expect(out).toBe('bot: Hello!\nbot: May we email you?\n  1) Yes  2) No');
  });

  it('indents continuation lines and skips typing, trace and empty messages', () => {
    const out = renderReplies([
      { type: 'typing' },
      { type: 'trace', text: 'internal' },
      { type: 'message', text: '' },
      { type: 'message', text: 'line one\nline two' },
    ]);
    expect(out).toBe('bot: line one\n     line two');
  });

  it('prints the TextBlocks of an Adaptive Card, nested ones included', () => {
    const card = {
      type: 'AdaptiveCard',
      body: [
        { type: 'TextBlock', text: 'Your choices' },
        { type: 'Container', items: [{ type: 'TextBlock', text: 'Newsletter: on' }] },
        { type: 'Image', url: 'https://example.com/x.png' },
      ],
    };
    const out = renderReplies([
      {
        type: 'message',
        attachments: [
          { contentType: 'application/vnd.microsoft.card.adaptive', content: card },
          { contentType: 'image/png', content: { type: 'TextBlock', text: 'not a card' } },
        ],
      },
    ]);
    expect(out).toBe('bot: Your choices\nbot: Newsletter: on');
  });

  it('numbers only the last set of suggested actions, and labels untitled ones by value', () => {
    const replies = [
      { type: 'message', text: 'old', suggestedActions: { actions: yesNo } },
      {
        type: 'message',
        text: 'new',
        suggestedActions: { actions: [{ type: 'postBack', value: { purpose: 'analytics' } }] },
      },
    ];
    expect(renderReplies(replies)).toBe('bot: old\nbot: new\n  1) {"purpose":"analytics"}');
    expect(currentChoices(replies)).toHaveLength(1);
    expect(currentChoices([{ type: 'message', text: 'no choices' }])).toEqual([]);
  });

  it('says when the bot ends the conversation, and renders nothing for no replies', () => {
    expect(renderReplies([{ type: 'endOfConversation' }])).toBe('(the bot ended the conversation)');
    expect(renderReplies([])).toBe('');
  });
});

describe('cardTexts', () => {
  it('ignores non-string texts and non-objects', () => {
    expect(cardTexts({ type: 'TextBlock', text: 42 })).toEqual([]);
    expect(cardTexts(null)).toEqual([]);
    expect(cardTexts('TextBlock')).toEqual([]);
  });
});

describe('choiceToActivityPart', () => {
  it('sends an imBack value as text', () => {
    expect(choiceToActivityPart({ type: 'imBack', title: 'Yes please', value: 'yes' })).toEqual({
      text: 'yes',
    });
  });

  it('falls back to the title when an imBack value is not a string', () => {
    expect(choiceToActivityPart({ type: 'imBack', title: 'Yes', value: 1 })).toEqual({
      text: 'Yes',
    });
  });

  it('sends a postBack value as activity.value with its title as text', () => {
    const value = { action: 'grant', purpose: 'newsletter' };
    expect(choiceToActivityPart({ type: 'postBack', title: 'Grant', value })).toEqual({
      text: 'Grant',
      value,
    });
  });

  it('sends a messageBack value as activity.value with its text (else title) as text', () => {
    const value = { action: 'withdraw' };
    expect(
      choiceToActivityPart({ type: 'messageBack', title: 'Stop', text: 'stop', value }),
    ).toEqual({ text: 'stop', value });
    expect(choiceToActivityPart({ type: 'messageBack', title: 'Stop', value })).toEqual({
      text: 'Stop',
      value,
    });
  });
});

describe('inputToActivityPart', () => {
  it('maps a number to the matching choice, 1-based', () => {
    expect(inputToActivityPart('1', yesNo)).toEqual({ text: 'Yes' });
    expect(inputToActivityPart('2', yesNo)).toEqual({ text: 'No' });
  });

  it('sends anything else, out-of-range numbers included, as plain text', () => {
    expect(inputToActivityPart('0', yesNo)).toEqual({ text: '0' });
    expect(inputToActivityPart('3', yesNo)).toEqual({ text: '3' });
    expect(inputToActivityPart('1', [])).toEqual({ text: '1' });
    expect(inputToActivityPart('1.5', yesNo)).toEqual({ text: '1.5' });
    expect(inputToActivityPart('yes', yesNo)).toEqual({ text: 'yes' });
  });
});
