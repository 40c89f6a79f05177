import {
  checkOptOutReason,
  OPT_OUT_REASONS,
  orderedCounts,
  summaryDays,
  type OptOutReason,
  type OptOutReasonCount,
  type OptOutReasons,
} from '../../consent/opt-out-reasons.js';
import { attempt } from '../errors.js';

/** Opt-out reasons in memory, for tests: a count per day and reason, nothing else. */
export class MemoryOptOutReasons implements OptOutReasons {
  /** day -> count per reason. */
  readonly #days = new Map<string, Map<OptOutReason, number>>();

  record(reason: OptOutReason, at: Date): Promise<void> {
    return attempt('record an opt-out reason', () => {
      const day = checkOptOutReason(reason, at);
      const counts = this.#days.get(day) ?? new Map<OptOutReason, number>();
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      this.#days.set(day, counts);
    });
  }

  summary(from: Date, to: Date): Promise<readonly OptOutReasonCount[]> {
    return attempt('summarise opt-out reasons', () => {
      const { first, last } = summaryDays(from, to);
      const found: OptOutReasonCount[] = [];
      for (const [day, counts] of this.#days) {
        if (day < first || day > last) continue;
        for (const reason of OPT_OUT_REASONS) {
          found.push({ day, reason, count: counts.get(reason) ?? 0 });
        }
      }
      return orderedCounts(found);
    });
  }
}
