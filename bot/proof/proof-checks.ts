import type { TranscriptStore } from 'botbuilder';
import type { NoticeArchive } from '../../consent/ledger.js';
import { noticeHash } from '../../consent/notice.js';
import { erasureMarkerHash, type SuppressionList } from '../../consent/suppression.js';
import type { Stores } from '../../storage/stores.js';
import type { Config } from '../platform/config.js';
import type { EventCheck } from './ledger-verification.js';
import type { Keys } from '../platform/secrets.js';
import { transcriptLinkCheck } from './transcript-links.js';

/**
 * The checks of each event that verification runs besides the hash chain: that the evidence an
 * event names outside the ledger (the notice text, the transcript) is still there as it was.
 * Accountability (GDPR art. 5(2), 7(1)): a decision is only proof together with what the person
 * was shown and said. One place, so that every way of verifying (the per-person route,
 * /api/compliance/verify, `npm run verify`) checks the same things.
 */

/** Runs each check on the event, in turn, and reports every kind any of them found. */
export function allChecks(...checks: readonly EventCheck[]): EventCheck {
  return async (event) => {
    const kinds: string[] = [];
    for (const check of checks) kinds.push(...(await check(event)));
    return kinds;
  };
}

/** How many notice hashes a walk remembers: a whole store's walk stays in constant memory. */
export const NOTICE_CACHE_SIZE = 1024;

/**
 * Each event's notice hash against the notice archive. Proof artefacts are immutable, but the
 * database's triggers can be dropped by whoever administers it, and MongoDB has none: a notice
 * gone from the archive is `notice-missing`, one whose archived text no longer hashes to the
 * address it is filed under is `notice-altered`. Many events share a notice, so results are
 * remembered, the most recently used `cacheSize` of them.
 */
export function noticeArchiveCheck(
  notices: Pick<NoticeArchive, 'get'>,
  cacheSize = NOTICE_CACHE_SIZE,
): EventCheck {
  const known = new Map<string, readonly string[]>();
  return async (event) => {
    const hash = event.noticeHash;
    // No notice shown (null); anything else than a string is an altered event the chain reports.
    if (typeof hash !== 'string') return [];
    let kinds = known.get(hash);
    if (kinds) {
      known.delete(hash); // re-inserted below: the Map's order is the order of last use
    } else {
      const record = await notices.get(hash);
      kinds = !record
        ? ['notice-missing']
        : typeof record.text !== 'string' || noticeHash(record.text) !== hash
          ? ['notice-altered']
          : [];
    }
    known.set(hash, kinds);
    const oldest = known.keys().next();
    if (known.size > cacheSize && !oldest.done) known.delete(oldest.value);
    return kinds;
  };
}

export interface ProofCheckDeps {
  readonly notices: Pick<NoticeArchive, 'get'>;
  readonly transcripts: Pick<TranscriptStore, 'getTranscriptActivities'>;
  /** Where erasure lists the ledger pseudonym of whom it erased (bot/subjects/subject-data.ts). */
  readonly suppression: Pick<SuppressionList, 'anyOf'>;
  readonly suppressionSecret: string;
  /** TRANSCRIPT_RETENTION_DAYS, in milliseconds. */
  readonly transcriptRetentionMs: number;
  readonly now: () => Date;
}

/** Every check of each event, as one EventCheck; a new one for each walk (its caches are per walk). */
export function proofChecks(deps: ProofCheckDeps): EventCheck {
  return allChecks(
    noticeArchiveCheck(deps.notices),
    transcriptLinkCheck(deps.transcripts, {
      retentionMs: deps.transcriptRetentionMs,
      now: deps.now,
      erased: async (ledgerSubject) => {
        const hash = erasureMarkerHash(deps.suppressionSecret, ledgerSubject);
        const listed = await deps.suppression.anyOf([hash]);
        return listed.some((entry) => entry.reason === 'erasure');
      },
    }),
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The checks as the app and `npm run verify` configure them: a fresh EventCheck per walk. */
export function proofChecksOf(
  stores: Pick<Stores, 'notices' | 'transcripts' | 'suppression'>,
  keys: Pick<Keys, 'suppressionSecret'>,
  config: Pick<Config, 'TRANSCRIPT_RETENTION_DAYS'>,
  now: () => Date,
): () => EventCheck {
  return () =>
    proofChecks({
      notices: stores.notices,
      transcripts: stores.transcripts,
      suppression: stores.suppression,
      suppressionSecret: keys.suppressionSecret,
      transcriptRetentionMs: config.TRANSCRIPT_RETENTION_DAYS * DAY_MS,
      now,
    });
}
