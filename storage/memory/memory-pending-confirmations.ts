import {
  checkPendingConfirmation,
  checkTakeLimit,
  DEFAULT_TAKE_EXPIRED_LIMIT,
  type PendingConfirmation,
  type PendingConfirmations,
} from '../../consent/confirmations.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';

/**
 * Pending double opt-in confirmations in memory, for tests. Values go through JSON both ways; a
 * consume checks and deletes in one synchronous step, so concurrent callers cannot both win.
 */
export class MemoryPendingConfirmations implements PendingConfirmations {
  readonly #pending = new Map<string, string>();

  create(confirmation: PendingConfirmation): Promise<void> {
    return attempt('create pending confirmation', () => {
      checkPendingConfirmation(confirmation);
      if (this.#pending.has(confirmation.tokenHash)) {
        throw new RangeError('confirmation: this token hash is already pending');
      }
      const { tokenHash, subject, purposeId, email, locale, createdAt, expiresAt } = confirmation;
      const { channelId, userId } = subject;
      this.#pending.set(
        tokenHash,
        JSON.stringify({
          tokenHash,
          subject: { channelId, userId },
          purposeId,
          email,
          locale,
          createdAt,
          expiresAt,
        }),
      );
    });
  }

  consume(tokenHash: string, now: Date): Promise<PendingConfirmation | undefined> {
    const json = this.#pending.get(tokenHash);
    if (json === undefined) return Promise.resolve(undefined);
    const confirmation = JSON.parse(json) as PendingConfirmation;
    if (confirmation.expiresAt <= now.toISOString()) return Promise.resolve(undefined);
    this.#pending.delete(tokenHash);
    return Promise.resolve(confirmation);
  }

  takeExpired(
    now: Date,
    limit: number = DEFAULT_TAKE_EXPIRED_LIMIT,
  ): Promise<readonly PendingConfirmation[]> {
    return attempt('take expired confirmations', () => {
      checkTakeLimit(limit);
      const cutoff = now.toISOString();
      // Read and delete in one synchronous step: a concurrent caller sees them gone.
      const taken = [...this.#pending.values()]
        .map((json) => JSON.parse(json) as PendingConfirmation)
        .filter((c) => c.expiresAt <= cutoff)
        .sort((a, b) => (a.expiresAt < b.expiresAt ? -1 : a.expiresAt > b.expiresAt ? 1 : 0))
        .slice(0, limit);
      for (const c of taken) this.#pending.delete(c.tokenHash);
      return taken;
    });
  }

  deleteForSubject(subject: Subject, purposeIds?: readonly string[]): Promise<number> {
    const key = subjectKey(subject);
    return Promise.resolve(
      this.#deleteWhere(
        (c) => subjectKey(c.subject) === key && (!purposeIds || purposeIds.includes(c.purposeId)),
      ),
    );
  }

  #deleteWhere(matches: (confirmation: PendingConfirmation) => boolean): number {
    let deleted = 0;
    for (const [tokenHash, json] of this.#pending) {
      if (matches(JSON.parse(json) as PendingConfirmation)) {
        this.#pending.delete(tokenHash);
        deleted += 1;
      }
    }
    return deleted;
  }
}
