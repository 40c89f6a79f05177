import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkSuppressionEntry,
  isCanonicalIso,
  normaliseIdentifier,
  suppressionEntriesFor,
  suppressionHash,
  userIdentifier,
} from './suppression.js';

const SECRET = 'unit-test-suppression-secret-000000';
const AT = new Date('2026-11-02T09:30:00.000Z');

describe('suppressionHash', () => {
  it('is the HMAC-SHA256 hex of kind and normalised identifier, keyed with the secret', () => {
    const expected = createHmac('sha256', SECRET)
      .update('email\u0000jane@example.com')
      .digest('hex');
    expect(suppressionHash(SECRET, 'email', ' Jane@Example.COM ')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for an address in any case, spacing or Unicode normal form', () => {
    const canonical = suppressionHash(SECRET, 'email', 'rené@example.fr');
    for (const variant of [
      'RENÉ@EXAMPLE.FR',
      '\tRene\u0301@Example.fr\n',
      'rene\u0301@example.fr',
    ]) {
      expect(suppressionHash(SECRET, 'email', variant)).toBe(canonical);
    }
    expect(suppressionHash(SECRET, 'email', 'rene@example.fr')).not.toBe(canonical);
  });

  it('keeps user ids exact: case, spaces and Unicode form all count', () => {
    const hash = suppressionHash(SECRET, 'user-id', 'webchat|Jane');
    expect(suppressionHash(SECRET, 'user-id', 'webchat|jane')).not.toBe(hash);
    expect(suppressionHash(SECRET, 'user-id', 'webchat|Jane ')).not.toBe(hash);
    expect(suppressionHash(SECRET, 'user-id', 'webchat|Jane')).toBe(hash);
  });

  it('differs by kind and by secret', () => {
    const identifier = 'jane@example.com';
    const email = suppressionHash(SECRET, 'email', identifier);
    expect(suppressionHash(SECRET, 'user-id', identifier)).not.toBe(email);
    expect(suppressionHash(`${SECRET}-rotated`, 'email', identifier)).not.toBe(email);
  });

  it('refuses a short secret and an empty identifier with RangeError', () => {
    expect(() => suppressionHash('short', 'email', 'jane@example.com')).toThrow(RangeError);
    expect(() => suppressionHash(SECRET, 'email', '   ')).toThrow(RangeError);
    expect(() => suppressionHash(SECRET, 'user-id', '')).toThrow(RangeError);
  });
});

describe('identifiers', () => {
  it('names a channel user as channel|user, the ledger subject key', () => {
    expect(userIdentifier({ channelId: 'msteams', userId: '29:a|b.c' })).toBe('msteams|29:a|b.c');
    expect(normaliseIdentifier('user-id', ' x ')).toBe(' x ');
    expect(normaliseIdentifier('email', ' X@Y.Z ')).toBe('x@y.z');
  });
});

describe('suppressionEntriesFor', () => {
  it('lists the user id and every address of a person, with the reason and date', () => {
    const subject = { channelId: 'webchat', userId: 'jane' };
    const entries = suppressionEntriesFor(
      SECRET,
      { subject, emails: ['Jane@Example.com', 'j@work.example'] },
      'erasure',
      AT,
    );
    expect(entries).toEqual([
      {
        hash: suppressionHash(SECRET, 'user-id', 'webchat|jane'),
        kind: 'user-id',
        reason: 'erasure',
        addedAt: '2026-11-02T09:30:00.000Z',
      },
      {
        hash: suppressionHash(SECRET, 'email', 'jane@example.com'),
        kind: 'email',
        reason: 'erasure',
        addedAt: '2026-11-02T09:30:00.000Z',
      },
      {
        hash: suppressionHash(SECRET, 'email', 'j@work.example'),
        kind: 'email',
        reason: 'erasure',
        addedAt: '2026-11-02T09:30:00.000Z',
      },
    ]);
    for (const entry of entries) {
      expect(() => {
        checkSuppressionEntry(entry);
      }).not.toThrow();
    }
    // Nothing in an entry names the person.
    expect(JSON.stringify(entries)).not.toMatch(/jane|work\.example/i);
  });

  it('lists nothing for a person with no identifier', () => {
    expect(suppressionEntriesFor(SECRET, {}, 'opt-out', AT)).toEqual([]);
  });
});

describe('checkSuppressionEntry', () => {
  const good = suppressionEntriesFor(SECRET, { emails: ['a@b.c'] }, 'complaint', AT)[0]!;

  it('refuses a raw identifier, an upper-case or short hash, bad kinds, reasons and dates', () => {
    expect(() => {
      checkSuppressionEntry(good);
    }).not.toThrow();
    const bad = [
      { ...good, hash: 'a@b.c' },
      { ...good, hash: good.hash.toUpperCase() },
      { ...good, hash: good.hash.slice(1) },
      { ...good, kind: 'phone' },
      { ...good, reason: 'because' },
      { ...good, addedAt: '2026-11-02' },
      { ...good, addedAt: '2026-11-02T09:30:00Z' },
    ];
    for (const entry of bad) {
      expect(() => {
        checkSuppressionEntry(entry as typeof good);
      }).toThrow(RangeError);
    }
  });
});

describe('isCanonicalIso', () => {
  it('accepts only what toISOString writes', () => {
    expect(isCanonicalIso('2026-11-02T09:30:00.000Z')).toBe(true);
    expect(isCanonicalIso('2026-11-02T09:30:00Z')).toBe(false);
    expect(isCanonicalIso('2026-11-02T10:30:00.000+01:00')).toBe(false);
    expect(isCanonicalIso('not a date')).toBe(false);
  });
});
