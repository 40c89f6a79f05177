import type { Activity, TranscriptStore } from 'botbuilder';
import type { ConsentDecision, ConsentLedger } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { checkTranscriptLink, transcriptLink } from '../../consent/transcript-digest.js';
import type { EventCheck } from './ledger-verification.js';
import { errorFields, type Logger } from '../platform/log.js';

/** Every stored activity of one conversation, in stored order, all pages. */
export async function conversationActivities(
  store: Pick<TranscriptStore, 'getTranscriptActivities'>,
  channelId: string,
  conversationId: string,
): Promise<Activity[]> {
  const activities: Activity[] = [];
  let token: string | undefined;
  do {
    const page = await store.getTranscriptActivities(channelId, conversationId, token);
    activities.push(...page.items);
    token = page.continuationToken || undefined;
  } while (token);
  return activities;
}

/** Decisions made in a conversation carry its transcript's digest; others (e-mail, API) do not. */
const madeInConversation = (decision: ConsentDecision): boolean =>
  decision.source === 'conversation' || decision.source === 'opt-out';

/**
 * The ledger the conversation writes to: each decision made in a chat is linked to the transcript
 * as stored at that moment. The transcript logger stores the incoming activity before the turn
 * runs, so the link covers the message that carried the decision. A transcript that cannot be read
 * never holds a decision back, above all a stop: the decision is recorded without a link, and
 * verification shows it has none.
 */
export function linkTranscripts(
  ledger: ConsentLedger,
  transcripts: Pick<TranscriptStore, 'getTranscriptActivities'>,
  log: Logger,
): ConsentLedger {
  return {
    history: (subject) => ledger.history(subject),
    latest: (subject) => ledger.latest(subject),
    head: (subject) => ledger.head(subject),
    async append(decisions, recordedAt, options) {
      const links = new Map<string, ConsentDecision['transcript']>();
      const linked: ConsentDecision[] = [];
      for (const decision of decisions) {
        if (!madeInConversation(decision) || decision.transcript) {
          linked.push(decision);
          continue;
        }
        const key = JSON.stringify([decision.channelId, decision.conversationId]);
        if (!links.has(key)) {
          try {
            links.set(
              key,
              transcriptLink(
                await conversationActivities(
                  transcripts,
                  decision.channelId,
                  decision.conversationId,
                ),
              ),
            );
          } catch (error) {
            log.warn('ledger.transcript_link_failed', errorFields(error));
            links.set(key, undefined);
          }
        }
        const transcript = links.get(key);
        linked.push(transcript ? { ...decision, transcript } : decision);
      }
      return ledger.append(linked, recordedAt, options);
    },
  };
}

export interface TranscriptLinkCheckOptions {
  /**
   * How long transcripts are kept (TRANSCRIPT_RETENTION_DAYS, in ms). Retention removes only
   * activities older than this, so it cannot explain a missing beginning that is younger.
   */
  readonly retentionMs: number;
  readonly now: () => Date;
  /**
   * Whether the person behind this ledger subject was erased (GDPR art. 17), which deletes their
   * conversations whatever their age. Asked only when a recent beginning is gone.
   */
  readonly erased: (ledgerSubject: Subject) => Promise<boolean>;
}

/**
 * Verification's check of each event's transcript link (bot/proof/ledger-verification.ts):
 * - a transcript whose beginning is still there but not as the person saw it: `transcript-altered`;
 * - a beginning that is gone although it is younger than the retention period, and the person was
 *   not erased: `transcript-missing`. Deleting the first activity (or the whole conversation)
 *   would otherwise turn any later edit into "unavailable": the evidence was removed unlawfully
 *   early (GDPR art. 5(2): the controller must be able to show what happened).
 * A beginning that retention (older than the period) or erasure removed is not a problem.
 * Reads each conversation once while its events come one after another, as they do in a subject's
 * chain, so a walk over the whole ledger holds one conversation at a time; likewise whether the
 * subject was erased is asked once per subject.
 */
export function transcriptLinkCheck(
  transcripts: Pick<TranscriptStore, 'getTranscriptActivities'>,
  options: TranscriptLinkCheckOptions,
): EventCheck {
  let cached: { key: string; activities: Activity[] } | undefined;
  let erasure: { key: string; erased: boolean } | undefined;
  const wasErased = async (ledgerSubject: Subject): Promise<boolean> => {
    const key = subjectKey(ledgerSubject);
    if (erasure?.key !== key) erasure = { key, erased: await options.erased(ledgerSubject) };
    return erasure.erased;
  };
  return async (event) => {
    if (!event.transcript) return [];
    const key = JSON.stringify([event.channelId, event.conversationId]);
    if (cached?.key !== key) {
      const { channelId, conversationId } = event;
      cached = {
        key,
        activities: await conversationActivities(transcripts, channelId, conversationId),
      };
    }
    const found = checkTranscriptLink(event.transcript, cached.activities);
    if (found === 'altered') return ['transcript-altered'];
    if (found === 'intact') return [];
    const retainedSince = options.now().getTime() - options.retentionMs;
    if (Date.parse(event.transcript.firstAt) < retainedSince) return [];
    return (await wasErased(event.subject)) ? [] : ['transcript-missing'];
  };
}
