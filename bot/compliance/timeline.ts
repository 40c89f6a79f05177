import type { Activity, ChannelAccount } from 'botbuilder';
import type { Locale } from '../../consent/catalogue.js';
import type { ConsentEvent, LedgerSearch, NoticeArchive } from '../../consent/ledger.js';
import type { TranscriptStore } from 'botbuilder';
import { conversationActivities } from '../proof/transcript-links.js';

/**
 * One conversation as a compliance officer reads it: what was said, in both directions,
 * and each consent decision with the exact notice text the person had been shown, in time order.
 * Only the fields listed here leave the store: text is already redacted by the transcript logger,
 * and channelData, attachments or participants' names never reach the officer.
 */
export interface ActivityItem {
  readonly kind: 'activity';
  readonly at: string;
  /** `in`: from the person; `out`: from the bot. */
  readonly direction: 'in' | 'out';
  readonly type: string;
  readonly text?: string;
  /** The name of an `event` activity. */
  readonly name?: string;
  readonly activityId?: string;
}

export interface NoticeShown {
  readonly text: string;
  readonly locale: Locale;
  readonly purposeVersion: number;
  readonly catalogueVersion: string;
  readonly hash: string;
}

export interface ConsentItem {
  readonly kind: 'consent';
  readonly at: string;
  readonly event: ConsentEvent;
  /** Null when the decision had no notice (a stop), or its text is not in the archive. */
  readonly notice: NoticeShown | null;
}

export type TimelineItem = ActivityItem | ConsentItem;

export interface Timeline {
  readonly items: readonly TimelineItem[];
  /** The channel's id of the person, from the first activity they sent; for the access log. */
  readonly personId?: string;
  /** The ledger's (pseudonymous) subject of the conversation's decisions, when it has any. */
  readonly ledgerSubject?: ConsentEvent['subject'];
}

export interface TimelineSources {
  readonly transcripts: Pick<TranscriptStore, 'getTranscriptActivities'>;
  readonly ledger: LedgerSearch;
  readonly notices: NoticeArchive;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const isoOf = (value: unknown): string => {
  const time = value instanceof Date ? value.getTime() : Date.parse(String(value));
  return Number.isFinite(time) ? new Date(time).toISOString() : '';
};

/**
 * Who is the bot: an activity's `from.role` when the channel says, otherwise the recipient of the
 * first activity the person sent (the transcript logger marks incoming activities `user`).
 */
function directionOf(botId: string | undefined) {
  return (activity: Activity): 'in' | 'out' => {
    const { role, id } = accountOf(activity.from);
    if (isBot(role)) return 'out';
    if (role === 'user') return 'in';
    return id !== undefined && id === botId ? 'out' : 'in';
  };
}

/** A stored activity is what a channel sent: its accounts may lack fields the types promise. */
const accountOf = (account: ChannelAccount | undefined): { role?: string; id?: string } => {
  const { role, id } = (account ?? {}) as Partial<Record<'role' | 'id', unknown>>;
  return { ...(typeof role === 'string' ? { role } : {}), ...(text(id) ? { id: text(id) } : {}) };
};

const isBot = (role: string | undefined): boolean => role === 'bot' || role === 'skill';

/** Ties (same millisecond): what the person said, then what it recorded, then the reply. */
const RANK = { in: 0, consent: 1, out: 2 } as const;
const rankOf = (item: TimelineItem): number =>
  item.kind === 'consent' ? RANK.consent : RANK[item.direction];

/** Undefined when the conversation has neither an activity nor a consent event. */
export async function conversationTimeline(
  sources: TimelineSources,
  channelId: string,
  conversationId: string,
): Promise<Timeline | undefined> {
  const activities = await conversationActivities(sources.transcripts, channelId, conversationId);
  const events: ConsentEvent[] = [];
  for await (const event of sources.ledger.scan({ channelId, conversationId }, 'recorded')) {
    events.push(event);
  }
  if (activities.length === 0 && events.length === 0) return undefined;

  const firstIncoming = activities.find((a) => !isBot(accountOf(a.from).role));
  const direction = directionOf(accountOf(firstIncoming?.recipient).id);
  const activityItems = activities.map((activity): ActivityItem => {
    const name = activity.type === 'event' ? text(activity.name) : undefined;
    const body = text(activity.text);
    const id = text(activity.id);
    return {
      kind: 'activity',
      at: isoOf(activity.timestamp),
      direction: direction(activity),
      type: activity.type,
      ...(body !== undefined ? { text: body } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(id !== undefined ? { activityId: id } : {}),
    };
  });

  // Many decisions of one conversation share a notice: read each text once.
  const notices = new Map<string, Promise<NoticeShown | null>>();
  const noticeOf = (hash: string | null): Promise<NoticeShown | null> => {
    if (!hash) return Promise.resolve(null);
    let notice = notices.get(hash);
    if (!notice) {
      notice = sources.notices.get(hash).then((record) =>
        record
          ? {
              text: record.text,
              locale: record.locale,
              purposeVersion: record.purposeVersion,
              catalogueVersion: record.catalogueVersion,
              hash: record.hash,
            }
          : null,
      );
      notices.set(hash, notice);
    }
    return notice;
  };
  const consentItems = await Promise.all(
    events.map(async (event): Promise<ConsentItem> => ({
      kind: 'consent',
      at: event.recordedAt,
      event,
      notice: await noticeOf(event.noticeHash),
    })),
  );

  const items: TimelineItem[] = [...activityItems, ...consentItems];
  // Array.prototype.sort is stable: equal activities keep the store's order; decisions of one
  // moment keep the ledger's (seq), as the ledger orders equal times by id.
  const seqOf = (item: TimelineItem): number => (item.kind === 'consent' ? item.event.seq : 0);
  items.sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : rankOf(a) - rankOf(b) || seqOf(a) - seqOf(b),
  );
  const personId = accountOf(firstIncoming?.from).id;
  return {
    items,
    ...(personId !== undefined ? { personId } : {}),
    ...(events[0] ? { ledgerSubject: events[0].subject } : {}),
  };
}
