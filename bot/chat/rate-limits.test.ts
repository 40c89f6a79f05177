import { describe, expect, it } from 'vitest';
import type { Request } from 'restify';
import { budgetKey, clientAddress } from './rate-limits.js';

const request = (peer: string, forwarded?: string): Request =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as Request;

describe('clientAddress', () => {
  it('is the peer address unless TRUST_PROXY says how many proxies to believe', () => {
    expect(clientAddress(request('10.0.0.2', '203.0.113.9'), 0)).toBe('10.0.0.2');
    expect(clientAddress(request('10.0.0.2', '203.0.113.9'), 1)).toBe('203.0.113.9');
  });

  it('takes the entry the farthest trusted proxy appended, never one to its left', () => {
    const forged = request('10.0.0.2', '198.51.100.1, 203.0.113.9');
    expect(clientAddress(forged, 1)).toBe('203.0.113.9');
    expect(clientAddress(request('10.0.0.2', '198.51.100.1, 203.0.113.9, 10.0.0.1'), 2)).toBe(
      '203.0.113.9',
    );
  });

  it('falls back to the peer address when the header is missing or not an address', () => {
    expect(clientAddress(request('10.0.0.2'), 1)).toBe('10.0.0.2');
    expect(clientAddress(request('10.0.0.2', 'not-an-address'), 1)).toBe('10.0.0.2');
  });
});

describe('budgetKey', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones', () => {
    expect(budgetKey('192.0.2.7')).toBe('192.0.2.7');
    expect(budgetKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('groups IPv6 addresses by /64, however they are written', () => {
    const key = budgetKey('2001:db8:0:1::5');
    expect(budgetKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe(key);
    expect(budgetKey('2001:DB8:0:1:ffff::1')).toBe(key);
    expect(budgetKey('2001:db8:0:2::5')).not.toBe(key);
    expect(budgetKey('::1')).toBe('0:0:0:0::/64');
  });
});
