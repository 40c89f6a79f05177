import { createHash } from 'node:crypto';
import { canonicalJson } from './chain.js';
import type { TranscriptLink } from './ledger.js';

/**
 * Links a decision to the conversation it was made in. The transcript is supporting
 * evidence kept apart from the ledger and expired by retention, so the ledger event carries a
 * digest of the transcript as it stood when the decision was made: the first `activities` stored
 * activities, in stored order. The digest is inside the event's hash, so the link cannot be
 * changed unseen, and recomputing it tells whether the transcript shown to a compliance officer is
 * the one the person saw.
 */

/** Activities as JSON values: dates as ISO strings, as the stores keep them. */
const asJson = (activities: readonly unknown[]): unknown[] =>
  JSON.parse(JSON.stringify(activities)) as unknown[];

const timeOf = (activity: unknown): string | undefined => {
  const value = (activity as { timestamp?: unknown } | null)?.timestamp;
  return typeof value === 'string' ? value : undefined;
};

export function transcriptDigest(activities: readonly unknown[]): string {
  return createHash('sha256')
    .update(canonicalJson(asJson(activities)), 'utf8')
    .digest('hex');
}

/** The link for a conversation's activities as stored now; undefined when none are stored. */
export function transcriptLink(activities: readonly unknown[]): TranscriptLink | undefined {
  const firstAt = timeOf(asJson(activities.slice(0, 1))[0]);
  if (activities.length === 0 || firstAt === undefined) return undefined;
  return { activities: activities.length, digest: transcriptDigest(activities), firstAt };
}

/**
 * - `intact`: the first activities are the ones the decision was made on;
 * - `altered`: not as they were: changed, inserted, reordered, or removed while the conversation's
 *   beginning is still there;
 * - `unavailable`: the conversation's beginning is gone, so there is nothing left to compare.
 *   Lawful when retention (only past its period) or erasure removed it; verification tells which
 *   (bot/proof/transcript-links.ts), since a beginning deleted early would hide any later edit.
 */
export type TranscriptCheck = 'intact' | 'altered' | 'unavailable';

export function checkTranscriptLink(
  link: TranscriptLink,
  activities: readonly unknown[],
): TranscriptCheck {
  // Retention deletes the oldest activities first and erasure the whole conversation, so evidence
  // that legitimately went always takes the head with it. With the head still there, anything
  // missing, changed or moved is tampering.
  const times = asJson(activities).map((a) => Date.parse(timeOf(a) ?? ''));
  const headKept = times.some((time) => time <= Date.parse(link.firstAt));
  if (!headKept) return 'unavailable';
  return activities.length >= link.activities &&
    transcriptDigest(activities.slice(0, link.activities)) === link.digest
    ? 'intact'
    : 'altered';
}
