import type { ConsentLedger, Decision } from '../consent/ledger.js';
import type { SqliteDatabase } from '../storage/sqlite/sqlite-database.js';
import { decisionOf, subjectOf } from './storage-contract.js';

/** A year of decisions by many people, for tests and benchmarks at scale. */
export const YEAR_START = Date.parse('2026-01-01T00:00:00.000Z');
export const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
export const PURPOSES = ['newsletter', 'analytics', 'location', 'offers', 'research'];
const DECISIONS: readonly Decision[] = ['given', 'given', 'refused', 'withdrawn', 'confirmed'];
const CHANNELS = ['webchat', 'msteams', 'telegram'];
/** People: ten events each. */
const EVENTS_PER_SUBJECT = 10;

/**
 * Appends `events` decisions (an even number) through the store's own `append`, two per call, over
 * `events / 10` people and a year, two catalogue versions. Seeding only: no fsync, and one outer
 * transaction around the appends (each becomes a savepoint); the appends are the production path.
 */
export async function seedLedger(
  db: SqliteDatabase,
  ledger: ConsentLedger,
  events: number,
): Promise<void> {
  const appends = events / 2;
  const subjects = events / EVENTS_PER_SUBJECT;
  db.pragma('synchronous = OFF');
  db.exec('BEGIN');
  for (let i = 0; i < appends; i += 1) {
    const person = i % subjects;
    const subject = subjectOf(`p:${person}`, CHANNELS[person % CHANNELS.length]);
    const at = new Date(YEAR_START + Math.floor((i * YEAR_MS) / appends));
    const decisions = [0, 1].map((k) =>
      decisionOf(subject, {
        purposeId: PURPOSES[(i + k) % PURPOSES.length],
        decision: DECISIONS[(i * 7 + k) % DECISIONS.length],
        conversationId: `conversation-${person}-${Math.floor(i / subjects)}`,
        catalogueVersion: at.getTime() < YEAR_START + YEAR_MS / 2 ? 'v1' : 'v2',
      }),
    );
    await ledger.append(decisions, at);
  }
  db.exec('COMMIT');
  db.pragma('synchronous = FULL');
}
