import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../consent/access-log.js';
import { freshStores, type OpenStores } from './storage-contract.js';

const T0 = Date.parse('2026-11-02T09:30:00.000Z');
const MINUTE = 60_000;
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();

function accessOf(minutes: number, overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    at: at(minutes),
    principal: 'token:compliance:ab12',
    role: 'compliance',
    action: 'ledger.search',
    target: '*',
    ...overrides,
  };
}

/**
 * The access log contract every backend runs unchanged: accountability for every read of personal
 * data (GDPR art. 5(2)). Newest first, filtered by principal and time, keyset-paged.
 */
export function describeAccessLogContract(name: string, open: OpenStores): void {
  describe(`AccessLog contract: ${name}`, () => {
    const current = freshStores(open);
    const log = () => current().accessLog;
    const listAll = async (query: Parameters<ReturnType<typeof log>['list']>[0], limit: number) => {
      const records: AccessRecord[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await log().list(query, after ? { limit, after } : { limit });
        records.push(...page.records);
        after = page.next;
        pages += 1;
      } while (after && pages < 50);
      return { records, pages };
    };

    it('lists what was recorded newest first, the later of two at the same time first', async () => {
      const first = accessOf(0, { action: 'consents.read', target: 'webchat|p:abc' });
      const sameTime = accessOf(0, {
        action: 'export.jsonl',
        detail: { purposeId: 'newsletter', limit: 50, explicit: true, 'a.b': 'dotted', $x: '' },
      });
      const later = accessOf(5, { principal: 'jwt:https://issuer.example#officer-1' });
      for (const record of [first, sameTime, later]) await log().record(record);
      const page = await log().list({}, { limit: 10 });
      expect(page).toEqual({ records: [later, sameTime, first] });
    });

    it('filters by principal and by [from, to), to the millisecond', async () => {
      const records = [
        accessOf(0),
        accessOf(1, { principal: 'jwt:issuer#other' }),
        accessOf(2),
        accessOf(3, { principal: 'jwt:issuer#other' }),
      ];
      for (const record of records) await log().record(record);
      const list = (query: Parameters<ReturnType<typeof log>['list']>[0]) =>
        log()
          .list(query, { limit: 100 })
          .then((p) => p.records);
      expect(await list({ principal: 'jwt:issuer#other' })).toEqual([records[3], records[1]]);
      expect(await list({ from: new Date(at(1)), to: new Date(at(3)) })).toEqual([
        records[2],
        records[1],
      ]);
      expect(
        await list({
          principal: 'token:compliance:ab12',
          from: new Date(at(0)),
          to: new Date(at(2)),
        }),
      ).toEqual([records[0]]);
      expect(await list({ principal: 'nobody' })).toEqual([]);
      expect(await list({ from: new Date(at(3)), to: new Date(at(3)) })).toEqual([]);
    });

    it('pages without gaps or repeats while accesses are being recorded', async () => {
      const records = Array.from({ length: 7 }, (_, i) => accessOf(i, { target: `t-${i}` }));
      for (const record of records) await log().record(record);
      const first = await log().list({}, { limit: 3 });
      await log().record(accessOf(60, { target: 'newer' }));
      const seen = [...first.records];
      let after = first.next;
      while (after) {
        const page = await log().list({}, { limit: 3, after });
        seen.push(...page.records);
        after = page.next;
      }
      expect(seen).toEqual([...records].reverse());
      for (const limit of [1, 2, 7, 8]) {
        const all = await listAll({}, limit);
        expect(all.records).toHaveLength(8);
        expect(all.pages).toBe(Math.ceil(8 / limit));
      }
    });

    it('refuses a foreign cursor, a bad limit and a malformed record with a RangeError', async () => {
      for (let i = 0; i < 3; i += 1) await log().record(accessOf(i));
      const { next } = await log().list({ principal: 'token:compliance:ab12' }, { limit: 1 });
      expect(next).toEqual(expect.any(String));
      await expect(log().list({}, { limit: 1, after: next ?? '' })).rejects.toThrow(RangeError);
      await expect(log().list({}, { limit: 1, after: 'junk' })).rejects.toThrow(RangeError);
      for (const limit of [0, 1001, 0.5]) {
        await expect(log().list({}, { limit })).rejects.toThrow(RangeError);
      }
      const bad: unknown[] = [
        accessOf(0, { principal: '' }),
        accessOf(0, { action: '' }),
        { ...accessOf(0), at: '2026-11-02' },
        { ...accessOf(0), at: 'yesterday' },
        { ...accessOf(0), detail: { nested: { no: 1 } } },
        { ...accessOf(0), detail: { list: [1] } },
        { ...accessOf(0), detail: { nan: Number.NaN } },
      ];
      for (const record of bad) {
        await expect(log().record(record as AccessRecord)).rejects.toThrow(RangeError);
      }
      expect((await listAll({}, 100)).records).toHaveLength(3);
    });
  });
}
