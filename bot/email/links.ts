import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a one-click unsubscribe link says: channel, subject id (a pseudonym, never a raw user id:
 * the link travels in clear through mail servers) and purpose id, or '*' for every purpose.
 */
export interface LinkPayload {
  readonly c: string;
  readonly u: string;
  readonly p: string;
}

/**
 * Unsubscribe links are signed, not stored: RFC 8058 wants the link in an e-mail to keep working
 * for as long as the e-mail exists, so there is nothing to look up and nothing to expire. The
 * token is base64url(JSON payload) + '.' + base64url(HMAC-SHA256 of the encoded payload).
 */
const MIN_KEY_BYTES = 32;
const MAX_FIELD_CHARS = 256;
/** Well above what three fields of MAX_FIELD_CHARS encode to; stops work on garbage early. */
export const MAX_LINK_TOKEN_CHARS = 1500;
const SIGNATURE_CHARS = 43; // 32 bytes of base64url, no padding
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

function mac(key: Buffer, encodedPayload: string): string {
  return createHmac('sha256', key).update(encodedPayload, 'ascii').digest('base64url');
}

function validField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_CHARS;
}

export function signLink(key: Buffer, payload: { c: string; u: string; p: string }): string {
  if (key.length < MIN_KEY_BYTES) {
    throw new RangeError(`links: the key must be at least ${MIN_KEY_BYTES} bytes`);
  }
  if (!validField(payload.c) || !validField(payload.u) || !validField(payload.p)) {
    throw new RangeError(`links: c, u and p must be 1 to ${MAX_FIELD_CHARS} characters`);
  }
  // Fixed key order, nothing else: the same payload always gives the same token.
  const encoded = Buffer.from(
    JSON.stringify({ c: payload.c, u: payload.u, p: payload.p }),
    'utf8',
  ).toString('base64url');
  return `${encoded}.${mac(key, encoded)}`;
}

/** The payload of a token this key signed, or undefined for anything else. Never throws. */
export function verifyLink(key: Buffer, token: unknown): LinkPayload | undefined {
  try {
    if (key.length < MIN_KEY_BYTES) return undefined;
    if (typeof token !== 'string' || token.length > MAX_LINK_TOKEN_CHARS) return undefined;
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const dot = token.length - SIGNATURE_CHARS - 1;
    const encoded = token.slice(0, dot);
    // Compare the encoded strings, not decoded bytes: base64url's spare bits would otherwise let
    // several spellings of one signature pass.
    const expected = Buffer.from(mac(key, encoded), 'ascii');
    const given = Buffer.from(token.slice(dot + 1), 'ascii');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const parsed: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const { c, u, p, ...rest } = parsed as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return undefined;
    if (!validField(c) || !validField(u) || !validField(p)) return undefined;
    return { c, u, p };
  } catch {
    return undefined;
  }
}
