/**
 * Learning from opt-outs: after a stop, the person may say why in
 * one tap. The answer is kept WITHOUT identity: only the reason and the day, never a subject,
 * conversation, activity, time of day or order of arrival, so that it cannot be joined back to the
 * ledger's withdrawal events. It is read only in aggregate.
 */
export const OPT_OUT_REASONS = [
  'too-many-messages',
  'not-relevant',
  'privacy-worries',
  'other',
] as const;
export type OptOutReason = (typeof OPT_OUT_REASONS)[number];

export function isOptOutReason(value: unknown): value is OptOutReason {
  return typeof value === 'string' && (OPT_OUT_REASONS as readonly string[]).includes(value);
}

export interface OptOutReasonCount {
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly reason: OptOutReason;
  readonly count: number;
}

export interface OptOutReasons {
  /**
   * Counts one answer, durable when the promise resolves. Stores only the reason and the UTC day
   * of `at` (YYYY-MM-DD), nothing that identifies the person or the conversation. An unknown
   * reason or an invalid date is refused with RangeError.
   */
  record(reason: OptOutReason, at: Date): Promise<void>;
  /**
   * How many answers of each reason were given on each day from the UTC day of `from` to the UTC
   * day of `to`, both included. Only non-zero counts, ordered by day, then in OPT_OUT_REASONS
   * order. RangeError for an invalid date or `from` after `to`.
   */
  summary(from: Date, to: Date): Promise<readonly OptOutReasonCount[]>;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day of an instant, as stored: YYYY-MM-DD. RangeError for an invalid date. */
export function dayOf(at: Date): string {
  if (!Number.isFinite(at.getTime())) throw new RangeError('opt-out reasons: invalid date');
  const day = at.toISOString().slice(0, 10);
  // Years outside 0000-9999 print as ±YYYYYY-...: not a day this store keeps.
  if (!DAY_PATTERN.test(day)) throw new RangeError('opt-out reasons: date out of range');
  return day;
}

/** Whether a string is a real calendar day written YYYY-MM-DD (2026-02-30 is not). */
export function isDay(value: string): boolean {
  if (!DAY_PATTERN.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00.000Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
}

/** Checks an answer before it is stored, so every backend refuses the same things (RangeError). */
export function checkOptOutReason(reason: OptOutReason, at: Date): string {
  if (!isOptOutReason(reason)) throw new RangeError('opt-out reasons: unknown reason');
  return dayOf(at);
}

/** The first and last day of a summary, checked: `from` must not be after `to`. */
export function summaryDays(
  from: Date,
  to: Date,
): { readonly first: string; readonly last: string } {
  const first = dayOf(from);
  const last = dayOf(to);
  if (first > last) throw new RangeError('opt-out reasons: from is after to');
  return { first, last };
}

/** Sorts counts as `summary` returns them and drops zeros: every backend answers alike. */
export function orderedCounts(counts: Iterable<OptOutReasonCount>): OptOutReasonCount[] {
  return [...counts]
    .filter((c) => c.count > 0)
    .sort(
      (a, b) =>
        (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) ||
        OPT_OUT_REASONS.indexOf(a.reason) - OPT_OUT_REASONS.indexOf(b.reason),
    );
}
