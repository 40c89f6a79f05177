import { describe, expect, it } from 'vitest';
import { checkActivity, MAX_NESTING, nestsDeeperThan } from './activity-shape.js';

/** JSON nested `levels` deep, parsed as the body parser would: built as text, no recursion. */
const nested = (levels: number): unknown =>
  JSON.parse(`${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);

const activity = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'message',
  text: 'stop',
  channelId: 'msteams',
  serviceUrl: 'https://smba.trafficmanager.net/emea/',
  conversation: { id: '19:abc@thread.tacv2;messageid=1701234567890' },
  from: { id: '29:1Xk8QzRr', name: 'Jane' },
  recipient: { id: '28:bot' },
  ...fields,
});

describe('nestsDeeperThan', () => {
  it('counts objects and arrays as levels, scalars as none', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1] }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: [1] }, 2)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_NESTING), MAX_NESTING)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_NESTING + 1), MAX_NESTING)).toBe(true);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(nestsDeeperThan(nested(100_000), MAX_NESTING)).toBe(true);
  });
});

describe('checkActivity', () => {
  it('takes a Teams message as it comes', () => {
    const body = activity({
      id: '1701234567890',
      replyToId: '1701234500000',
      locale: 'en-GB',
      attachments: [{ contentType: 'text/html', content: '<p>stop</p>' }],
      entities: [{ type: 'clientInfo', locale: 'en-GB' }],
      channelData: { tenant: { id: 't' } },
      value: { action: 'stop' },
    });
    const copy = structuredClone(body);
    expect(checkActivity(body)).toEqual({ ok: true, dropped: [] });
    expect(body).toEqual(copy);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'membersAdded as text',
      { membersAdded: 'x' },
      'activity.membersAdded must be an array of { id }',
    ],
    [
      'a member without id',
      { membersAdded: [{ name: 'x' }] },
      'activity.membersAdded[0].id is required',
    ],
    [
      'membersRemoved of numbers',
      { membersRemoved: [5] },
      'activity.membersRemoved[0] must be an object with an id',
    ],
    [
      'attachments with null',
      { attachments: [null, 5] },
      'activity.attachments[0] must be an object',
    ],
    [
      'attachments as an object',
      { attachments: {} },
      'activity.attachments must be an array of objects',
    ],
    [
      'an entity type as a number',
      { entities: [{ type: 3 }] },
      'activity.entities[0].type must be a string',
    ],
    [
      'a numeric locale',
      { locale: 5 },
      'activity.locale must be a language tag of at most 100 characters',
    ],
    ['a numeric id', { id: 5 }, 'activity.id must be 1 to 1024 characters'],
    ['an empty replyToId', { replyToId: '' }, 'activity.replyToId must be 1 to 1024 characters'],
    ['text as an object', { text: { a: 1 } }, 'activity.text must be a string'],
    ['recipient as text', { recipient: 'bot' }, 'activity.recipient must be an object with an id'],
    [
      'from.name as a number',
      { from: { id: 'u', name: 5 } },
      'activity.from.name must be a string',
    ],
    ['a conversation as an array', { conversation: ['c'] }, 'activity.conversation.id is required'],
    [
      'a deep conversation',
      { conversation: { id: 'c', x: nested(100) } },
      'activity.conversation is nested deeper than 64 levels',
    ],
  ])('refuses %s, naming the field', (_name, fields, problem) => {
    expect(checkActivity(activity(fields))).toEqual({ ok: false, problem });
  });

  it('drops a channelData, value or unknown field nested too deep, and keeps the rest', () => {
    const body = activity({
      channelData: nested(6000),
      value: nested(MAX_NESTING + 1),
      custom: nested(200),
      attachments: [{ contentType: 'x', content: nested(MAX_NESTING) }],
    });
    expect(checkActivity(body)).toEqual({
      ok: true,
      dropped: [
        { field: 'channelData', reason: 'too_deep' },
        { field: 'value', reason: 'too_deep' },
        { field: 'custom', reason: 'too_deep' },
        { field: 'attachments', reason: 'too_deep' },
      ],
    });
    expect(body).toEqual(activity());
  });

  it('drops a channelData that is not an object: the schema wants one and nothing reads it', () => {
    const body = activity({ channelData: 'x' });
    expect(checkActivity(body)).toEqual({
      ok: true,
      dropped: [{ field: 'channelData', reason: 'not_an_object' }],
    });
    expect(body).not.toHaveProperty('channelData');
  });
});
