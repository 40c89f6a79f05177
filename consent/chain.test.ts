import { describe, expect, it } from 'vitest';
import { canonicalJson, chained, eventHash, GENESIS_HASH, verifyChain } from './chain.js';
import type { ConsentEvent } from './ledger.js';

function chain(length: number): ConsentEvent[] {
  const events: ConsentEvent[] = [];
  for (let seq = 1; seq <= length; seq++) {
    events.push(
      chained(
        {
          id: `e${seq}`,
          seq,
          recordedAt: new Date(Date.UTC(2026, 10, 2, 9, seq)).toISOString(),
          subject: { channelId: 'webchat', userId: 'p:jane' },
          purposeId: seq % 2 ? 'newsletter' : 'analytics',
          decision: seq === length ? 'withdrawn' : 'given',
          purposeVersion: 1,
          catalogueVersion: '2026-11-01',
          noticeHash: null,
          locale: 'en',
          channelId: 'webchat',
          conversationId: 'c1',
          activityId: `a${seq}`,
          source: 'conversation',
          explicit: false,
        },
        events.at(-1)?.hash ?? GENESIS_HASH,
      ),
    );
  }
  return events;
}

describe('the ledger hash chain', () => {
  it('serialises canonically: key order does not change the bytes', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });

  it('verifies an untouched chain, from the genesis hash', () => {
    const events = chain(5);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(verifyChain(events)).toEqual([]);
  });

  it('finds an event whose content was changed', () => {
    const events = chain(5);
    const tampered = events.map((e) => (e.seq === 3 ? { ...e, decision: 'refused' as const } : e));
    expect(verifyChain(tampered)).toEqual([{ kind: 'altered', seq: 3, eventId: 'e3' }]);
  });

  it('finds a change whose hash was recomputed: the next link breaks', () => {
    const events = chain(5);
    const forged = events.map((e) => {
      if (e.seq !== 3) return e;
      const changed = { ...e, decision: 'refused' as const };
      return { ...changed, hash: eventHash(changed) };
    });
    expect(verifyChain(forged)).toEqual([{ kind: 'broken-link', seq: 4, eventId: 'e4' }]);
  });

  it('finds a removed event', () => {
    const events = chain(5).filter((e) => e.seq !== 2);
    expect(verifyChain(events)).toEqual([
      { kind: 'missing', seq: 3, eventId: 'e3' },
      { kind: 'broken-link', seq: 3, eventId: 'e3' },
    ]);
  });

  it('finds reordered events', () => {
    const [a, b, c] = chain(3);
    const problems = verifyChain([a!, c!, b!]);
    expect(problems.map((p) => [p.kind, p.seq])).toEqual([
      ['missing', 3],
      ['broken-link', 3],
      ['reordered', 2],
      ['broken-link', 2],
    ]);
  });
});
