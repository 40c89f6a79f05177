import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  OPT_OUT_REASONS,
  type OptOutReason,
  type OptOutReasons,
} from '../consent/opt-out-reasons.js';

/**
 * The opt-out reasons contract every backend runs unchanged, with no branch on the backend's name.
 * `open` gives a fresh, empty store; `Stores` satisfies this shape once it carries `reasons`.
 */
export interface OpenedOptOutReasons {
  readonly reasons: OptOutReasons;
  close(): Promise<void>;
}
export type OpenOptOutReasons = () => Promise<OpenedOptOutReasons> | OpenedOptOutReasons;

const at = (iso: string) => new Date(iso);

export function describeOptOutReasonsContract(name: string, open: OpenOptOutReasons): void {
  describe(`OptOutReasons contract: ${name}`, () => {
    let opened: OpenedOptOutReasons | undefined;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const store = (): OptOutReasons => {
      if (!opened) throw new Error('the store is opened in beforeEach');
      return opened.reasons;
    };

    it('summarises nothing at first', async () => {
      expect(
        await store().summary(at('2000-01-01T00:00:00.000Z'), at('2100-01-01T00:00:00.000Z')),
      ).toEqual([]);
    });

    it('counts answers per day and reason, ordered by day then reason, without zeros', async () => {
      const answers: [OptOutReason, string][] = [
        ['other', '2026-11-03T08:00:00.000Z'],
        ['privacy-worries', '2026-11-02T10:00:00.000Z'],
        ['too-many-messages', '2026-11-02T11:00:00.000Z'],
        ['privacy-worries', '2026-11-02T23:59:59.999Z'],
        ['too-many-messages', '2026-11-03T00:00:00.000Z'],
        ['privacy-worries', '2026-11-02T00:00:00.000Z'],
      ];
      for (const [reason, when] of answers) await store().record(reason, at(when));
      expect(
        await store().summary(at('2026-11-01T00:00:00.000Z'), at('2026-11-30T00:00:00.000Z')),
      ).toEqual([
        { day: '2026-11-02', reason: 'too-many-messages', count: 1 },
        { day: '2026-11-02', reason: 'privacy-worries', count: 3 },
        { day: '2026-11-03', reason: 'too-many-messages', count: 1 },
        { day: '2026-11-03', reason: 'other', count: 1 },
      ]);
    });

    it('includes the whole first and last day, whatever the time of from and to', async () => {
      await store().record('other', at('2026-10-31T23:59:59.999Z'));
      await store().record('not-relevant', at('2026-11-01T00:00:00.000Z'));
      await store().record('not-relevant', at('2026-11-05T23:59:59.999Z'));
      await store().record('other', at('2026-11-06T00:00:00.000Z'));
      const summary = await store().summary(
        at('2026-11-01T18:00:00.000Z'),
        at('2026-11-05T00:00:00.000Z'),
      );
      expect(summary).toEqual([
        { day: '2026-11-01', reason: 'not-relevant', count: 1 },
        { day: '2026-11-05', reason: 'not-relevant', count: 1 },
      ]);
      expect(
        await store().summary(at('2026-11-06T12:00:00.000Z'), at('2026-11-06T12:00:00.000Z')),
      ).toEqual([{ day: '2026-11-06', reason: 'other', count: 1 }]);
    });

    it('keeps every reason apart', async () => {
      for (const [i, reason] of OPT_OUT_REASONS.entries()) {
        for (let n = 0; n <= i; n++) await store().record(reason, at('2026-11-02T12:00:00.000Z'));
      }
      expect(
        await store().summary(at('2026-11-02T00:00:00.000Z'), at('2026-11-02T00:00:00.000Z')),
      ).toEqual(OPT_OUT_REASONS.map((reason, i) => ({ day: '2026-11-02', reason, count: i + 1 })));
    });

    it('loses no answer when many arrive at once', async () => {
      const when = at('2026-11-02T12:00:00.000Z');
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store().record(i % 2 === 0 ? 'other' : 'not-relevant', when),
        ),
      );
      expect(await store().summary(when, when)).toEqual([
        { day: '2026-11-02', reason: 'not-relevant', count: 20 },
        { day: '2026-11-02', reason: 'other', count: 20 },
      ]);
    });

    it('refuses with RangeError an unknown reason or an invalid date, storing nothing', async () => {
      const when = at('2026-11-02T12:00:00.000Z');
      await expect(store().record('angry' as OptOutReason, when)).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(store().record('other', new Date(Number.NaN))).rejects.toBeInstanceOf(
        RangeError,
      );
      expect(
        await store().summary(at('2000-01-01T00:00:00.000Z'), at('2100-01-01T00:00:00.000Z')),
      ).toEqual([]);
    });

    it('refuses with RangeError a summary whose from is after its to, or an invalid date', async () => {
      await expect(
        store().summary(at('2026-11-03T00:00:00.000Z'), at('2026-11-02T23:59:59.999Z')),
      ).rejects.toBeInstanceOf(RangeError);
      await expect(
        store().summary(new Date(Number.NaN), at('2026-11-02T00:00:00.000Z')),
      ).rejects.toBeInstanceOf(RangeError);
    });
  });
}
