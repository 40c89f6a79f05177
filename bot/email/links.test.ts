import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_LINK_TOKEN_CHARS, signLink, verifyLink } from './links.js';

const key = randomBytes(32);
const payload = { c: 'msteams', u: 'p:Qm9iIHRoZSBwc2V1ZG9ueW0', p: 'newsletter' };

/** Replaces the character at `index` by another one of the base64url alphabet. */
function flip(token: string, index: number): string {
  const ch = token.charAt(index);
  return token.slice(0, index) + (ch === 'A' ? 'B' : 'A') + token.slice(index + 1);
}

describe('signed unsubscribe links', () => {
  it('round-trips a payload, for one purpose or all of them', () => {
    expect(verifyLink(key, signLink(key, payload))).toEqual(payload);
    const all = { ...payload, p: '*' };
    expect(verifyLink(key, signLink(key, all))).toEqual(all);
  });

  it('is deterministic and URL-safe', () => {
    const token = signLink(key, payload);
    expect(signLink(key, payload)).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('keeps non-ASCII ids intact', () => {
    const odd = { c: 'webchat', u: 'é😀"\\', p: 'offres' };
    expect(verifyLink(key, signLink(key, odd))).toEqual(odd);
  });

  it('rejects a tampered payload', () => {
    const token = signLink(key, payload);
    const [, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, u: 'someone-else' })).toString(
      'base64url',
    );
    expect(verifyLink(key, `${forged}.${signature}`)).toBeUndefined();
    expect(verifyLink(key, flip(token, 0))).toBeUndefined();
    expect(verifyLink(key, flip(token, 5))).toBeUndefined();
  });

  it('rejects a tampered signature, including another spelling of the same bytes', () => {
    const token = signLink(key, payload);
    expect(verifyLink(key, flip(token, token.length - 10))).toBeUndefined();
    // The last character of 32 base64url-encoded bytes carries 2 spare bits: flipping the lowest
    // gives another string that decodes to the very same bytes. Only our spelling passes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const signature = token.split('.')[1] ?? '';
    const twin =
      signature.slice(0, -1) + alphabet.charAt(alphabet.indexOf(signature.slice(-1)) ^ 1);
    expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(verifyLink(key, `${token.split('.')[0] ?? ''}.${twin}`)).toBeUndefined();
  });

  it('rejects a token signed with another key', () => {
    expect(verifyLink(randomBytes(32), signLink(key, payload))).toBeUndefined();
  });

  it('rejects a correctly signed payload of the wrong shape', () => {
    // The documented construction: HMAC-SHA256 over the base64url of the JSON payload.
    const sign = (json: string | Buffer): string => {
      const encoded = Buffer.from(json).toString('base64url');
      return `${encoded}.${createHmac('sha256', key).update(encoded).digest('base64url')}`;
    };
    expect(verifyLink(key, sign(JSON.stringify(payload)))).toEqual(payload);
    const wrong = [
      '[]',
      'null',
      '"x"',
      '{',
      '{"c":1,"u":"a","p":"b"}',
      '{"c":"a","u":"","p":"b"}',
      '{"c":"a","u":"b"}',
      '{"c":"a","u":"b","p":"c","admin":true}',
      JSON.stringify({ ...payload, u: 'x'.repeat(257) }),
    ];
    for (const json of wrong) {
      expect(() => verifyLink(key, sign(json))).not.toThrow();
      expect(verifyLink(key, sign(json)), json).toBeUndefined();
    }
    expect(verifyLink(key, sign(Buffer.from([0xff, 0xfe, 0x7b])))).toBeUndefined();
  });

  it('never throws on garbage, and rejects it', () => {
    const garbage: unknown[] = [
      '',
      '.',
      'a.b',
      'no-dot-here',
      `${'a'.repeat(10)}.${'b'.repeat(43)}`,
      `.${'b'.repeat(43)}`,
      `${signLink(key, payload)}.extra`,
      ' '.repeat(50),
      '%00%00',
      'é.é',
      'a'.repeat(MAX_LINK_TOKEN_CHARS + 1),
      `${'a'.repeat(MAX_LINK_TOKEN_CHARS)}.${'b'.repeat(43)}`,
      undefined,
      null,
      42,
      {},
    ];
    for (const value of garbage) {
      expect(() => verifyLink(key, value)).not.toThrow();
      expect(verifyLink(key, value)).toBeUndefined();
    }
  });

  it('refuses short keys and empty or oversized fields when signing', () => {
    expect(() => signLink(randomBytes(16), payload)).toThrow(RangeError);
    expect(() => signLink(key, { ...payload, u: '' })).toThrow(RangeError);
    expect(() => signLink(key, { ...payload, p: 'x'.repeat(257) })).toThrow(RangeError);
    expect(verifyLink(randomBytes(16), signLink(key, payload))).toBeUndefined();
  });

  it('keeps the longest allowed payload under the size limit', () => {
    const max = { c: 'c'.repeat(256), u: 'u'.repeat(256), p: 'p'.repeat(256) };
    const token = signLink(key, max);
    expect(token.length).toBeLessThanOrEqual(MAX_LINK_TOKEN_CHARS);
    expect(verifyLink(key, token)).toEqual(max);
  });
});
