import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  chained,
  eventHash,
  GENESIS_HASH,
  sealerOf,
  verifyChain,
  type Sealer,
} from './chain.js';
import type { ConsentEvent } from './ledger.js';

const SEAL_KEY = Buffer.from('a key only the server holds, 32+ bytes long');

/** `seal`: seals the events from `sealedFrom` on (earlier ones as written before sealing). */
function chain(
  length: number,
  seal?: Sealer,
  sealedFrom = 1,
  withdrawnAt = length,
): ConsentEvent[] {
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
          decision: seq === withdrawnAt ? 'withdrawn' : 'given',
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
        seq >= sealedFrom ? seal : undefined,
      ),
    );
  }
  return events;
}

/** What someone with write access to the database but without the key can do: rewrite from `seq`. */
function rewrite(
  events: readonly ConsentEvent[],
  seq: number,
  change: (event: ConsentEvent) => ConsentEvent,
): ConsentEvent[] {
  const out: ConsentEvent[] = [];
  for (const event of events) {
    const prevHash = out.at(-1)?.hash ?? GENESIS_HASH;
    const changed = event.seq === seq ? change(event) : event;
    if (event.seq < seq) {
      out.push(event);
      continue;
    }
    const linked = { ...changed, prevHash };
    out.push({ ...linked, hash: eventHash(linked) });
  }
  return out;
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

  describe('sealed with a key the database does not hold', () => {
    const seal = sealerOf(SEAL_KEY);

    it('leaves the seal out of the hash: every hash written before seals stays valid', () => {
      const [plain] = chain(1);
      const [sealed] = chain(1, seal);
      expect(sealed?.seal).toBe(seal(sealed!.hash));
      expect(sealed?.seal).toMatch(/^[0-9a-f]{64}$/);
      const { id: _a, ...plainRest } = plain!;
      const { id: _b, ...sealedRest } = sealed!;
      expect({ ...sealedRest, seal: undefined }).toEqual({ ...plainRest, seal: undefined });
      expect(eventHash(sealed!)).toBe(sealed!.hash);
      expect(eventHash({ ...sealed!, seal: 'f'.repeat(64) })).toBe(sealed!.hash);
      expect(verifyChain(chain(5, seal), { sealKey: SEAL_KEY })).toEqual([]);
    });

    it('names the rewritten event as forged when the chain after it was recomputed', () => {
      const events = chain(5, seal, 1, 3);
      expect(events[2]?.decision).toBe('withdrawn');
      // The withdrawal turned back into a consent, every later hash recomputed: a chain without
      // a key verifies intact; the seals cannot be recomputed without the key.
      const forged = rewrite(events, 3, (e) => ({ ...e, decision: 'given' as const }));
      expect(verifyChain(forged)).toEqual([]);
      expect(verifyChain(forged, { sealKey: SEAL_KEY })).toEqual([
        { kind: 'forged', seq: 3, eventId: 'e3' },
        { kind: 'forged', seq: 4, eventId: 'e4' },
        { kind: 'forged', seq: 5, eventId: 'e5' },
      ]);
    });

    it('reports an event whose seal was stripped after a sealed event as unsealed', () => {
      const stripped = chain(4, seal).map((e) => {
        if (e.seq !== 3) return e;
        const { seal: _dropped, ...rest } = e;
        return rest;
      });
      expect(verifyChain(stripped, { sealKey: SEAL_KEY })).toEqual([
        { kind: 'unsealed', seq: 3, eventId: 'e3' },
      ]);
    });

    it('verifies a chain written before sealing, and one that began to be sealed midway', () => {
      expect(verifyChain(chain(5), { sealKey: SEAL_KEY })).toEqual([]);
      expect(verifyChain(chain(5, seal, 3), { sealKey: SEAL_KEY })).toEqual([]);
    });

    it('refuses seals made with another key', () => {
      const other = sealerOf(Buffer.from('another key, as a database administrator would guess'));
      expect(verifyChain(chain(2, other), { sealKey: SEAL_KEY })).toEqual([
        { kind: 'forged', seq: 1, eventId: 'e1' },
        { kind: 'forged', seq: 2, eventId: 'e2' },
      ]);
    });
  });
});
