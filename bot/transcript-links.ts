import type { Activity, TranscriptStore } from 'botbuilder';
import type { ConsentDecision, ConsentLedger } from '../consent/ledger.js';
import { checkTranscriptLink, transcriptLink } from '../consent/transcript-digest.js';
import type { EventCheck } from './ledger-verification.js';
import { errorFields, type Logger } from './log.js';

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

/**
 * Verification's check of each event's transcript link (bot/ledger-verification.ts): a transcript
 * that is still there but not as the person saw it is `transcript-altered`. One that retention or
 * erasure removed is not a problem. Reads each conversation once while its events come one after
 * another, as they do in a subject's chain, so a walk over the whole ledger holds one
 * conversation at a time.
 */
export function transcriptLinkCheck(
  transcripts: Pick<TranscriptStore, 'getTranscriptActivities'>,
): EventCheck {
  let cached: { key: string; activities: Activity[] } | undefined;
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
    return checkTranscriptLink(event.transcript, cached.activities) === 'altered'
      ? ['transcript-altered']
      : [];
  };
}
