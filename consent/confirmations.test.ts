import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkPendingConfirmation,
  DEFAULT_CONFIRMATION_TTL_MS,
  hashConfirmationToken,
  isConfirmationToken,
  newConfirmationToken,
  pendingConfirmationOf,
} from './confirmations.js';

const NOW = new Date('2026-11-02T09:30:00.000Z');
const fields = {
  subject: { channelId: 'webchat', userId: 'jane' },
  purposeId: 'newsletter',
  email: 'jane@example.com',
  locale: 'fr',
} as const;

describe('confirmation tokens', () => {
  it('are 32 random bytes in base64url, stored as their sha256 hex', () => {
    const { token, tokenHash } = newConfirmationToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashConfirmationToken(token)).toBe(tokenHash);
    expect(isConfirmationToken(token)).toBe(true);
  });

  it('never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newConfirmationToken().token));
    expect(tokens.size).toBe(1000);
  });

  it('tells a link token from garbage without a store round trip', () => {
    expect(isConfirmationToken('')).toBe(false);
    expect(isConfirmationToken('a'.repeat(42))).toBe(false);
    expect(isConfirmationToken(`${'a'.repeat(42)}=`)).toBe(false);
    expect(isConfirmationToken(`${'a'.repeat(42)}/`)).toBe(false);
  });
});

describe('pendingConfirmationOf', () => {
  it('expires 48 hours after creation by default', () => {
    expect(DEFAULT_CONFIRMATION_TTL_MS).toBe(48 * 60 * 60 * 1000);
    const { token, confirmation } = pendingConfirmationOf(fields, NOW);
    expect(confirmation).toEqual({
      ...fields,
      tokenHash: hashConfirmationToken(token),
      createdAt: '2026-11-02T09:30:00.000Z',
      expiresAt: '2026-11-04T09:30:00.000Z',
    });
    expect(JSON.stringify(confirmation)).not.toContain(token);
    expect(() => {
      checkPendingConfirmation(confirmation);
    }).not.toThrow();
  });

  it('takes another lifetime, and refuses one that is not positive', () => {
    const { confirmation } = pendingConfirmationOf(fields, NOW, 15 * 60 * 1000);
    expect(confirmation.expiresAt).toBe('2026-11-02T09:45:00.000Z');
    expect(() => pendingConfirmationOf(fields, NOW, 0)).toThrow(RangeError);
    expect(() => pendingConfirmationOf(fields, NOW, -1)).toThrow(RangeError);
    expect(() => pendingConfirmationOf(fields, NOW, 1.5)).toThrow(RangeError);
  });
});

describe('checkPendingConfirmation', () => {
  const { token, confirmation } = pendingConfirmationOf(fields, NOW);

  it('refuses a raw token, bad dates, an unknown locale and missing ids', () => {
    const bad = [
      { ...confirmation, tokenHash: token },
      { ...confirmation, tokenHash: confirmation.tokenHash.toUpperCase() },
      { ...confirmation, createdAt: 'now' },
      { ...confirmation, expiresAt: '2026-11-04T09:30:00Z' },
      { ...confirmation, expiresAt: confirmation.createdAt },
      { ...confirmation, locale: 'de' },
      { ...confirmation, subject: { channelId: 'webchat', userId: '' } },
      { ...confirmation, email: '' },
      { ...confirmation, purposeId: '' },
    ];
    for (const c of bad) {
      expect(() => {
        checkPendingConfirmation(c as typeof confirmation);
      }).toThrow(RangeError);
    }
  });
});
