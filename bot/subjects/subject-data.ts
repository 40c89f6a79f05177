import type { Activity, Storage } from 'botbuilder';
import type { Catalogue, Controller, Locale, LocalisedText } from '../../consent/catalogue.js';
import type { PendingConfirmations } from '../../consent/confirmations.js';
import type { ContactAddresses, VerifiedAddress } from '../../consent/contact-addresses.js';
import {
  deriveStatuses,
  type ConsentEvent,
  type ConsentLedger,
  type ConsentStatus,
} from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import type {
  SuppressionEntry,
  SuppressionKind,
  SuppressionList,
  SuppressionReason,
} from '../../consent/suppression.js';
import type { TranscriptStoreWithRetention } from '../../storage/transcript-rules.js';
import type { Translate } from '../platform/i18n.js';

/**
 * The person's rights over what we hold (GDPR art. 15 access, art. 17 erasure), shared by the chat
 * ("what do you have on me?", "delete my data") and the agents' API (bot/subjects/rights-routes.ts).
 *
 * Two subjects come in: `subject` is the person as the channel knows them (raw ids: transcripts
 * and the suppression list's keyed hashes use it); `ledgerSubject` is the pseudonymous one the
 * ledger and the pending confirmations are keyed by (bot/platform/secrets.ts).
 */
export interface SubjectDataDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly transcripts: Pick<TranscriptStoreWithRetention, 'activitiesOfUser' | 'deleteForUser'>;
  readonly addresses: ContactAddresses;
  readonly confirmations: Pick<PendingConfirmations, 'deleteForSubject'>;
  readonly suppression: SuppressionList;
  /** The keyed hashes under which this person may be listed (user id, known e-mails). */
  readonly suppressionHashesOf: (subject: Subject) => Promise<readonly string[]>;
  /**
   * What to list for this person on erasure: a keyed hash of their channel user id and, when
   * known, of their verified e-mail address. Supplied by the caller, who holds the secret. Also
   * called with the ledger subject and no address: that entry marks the erasure for verification
   * (`erasureMarkerHash` in consent/suppression.ts must give the same hash).
   */
  readonly suppressionEntriesOf: (
    subject: Subject,
    email: string | undefined,
    at: Date,
  ) => readonly SuppressionEntry[];
  /** Conversation state; when given, erasure deletes that of the person's conversations. */
  readonly botState?: Storage;
  readonly now?: () => Date;
}

/** Version of the export's shape: a reader can tell what it is looking at. */
export const SUBJECT_EXPORT_FORMAT = 'consent-bot/subject-export/1';

export interface ExportedPurpose {
  readonly purposeId: string;
  readonly title: LocalisedText;
  readonly status: ConsentStatus;
  /** The version of the purpose's notice the person decided on, and the one current now. */
  readonly decidedOnVersion?: number;
  readonly currentVersion: number;
  readonly decidedAt?: string;
}

export interface ExportedConversation {
  readonly channelId: string;
  readonly conversationId: string;
  /** As stored: redacted of e-mail addresses, phone numbers and card numbers when logged. */
  readonly activities: readonly Activity[];
}

/** Everything stored about one person (GDPR art. 15), as JSON. */
export interface SubjectExport {
  readonly format: typeof SUBJECT_EXPORT_FORMAT;
  readonly generatedAt: string;
  /** Who holds the data and whom to ask about it (art. 15(1), 13(1)(a)). */
  readonly controller: Controller;
  readonly catalogueVersion: string;
  readonly subject: Subject;
  /** Current status of every purpose of the catalogue. */
  readonly purposes: readonly ExportedPurpose[];
  /** Every consent decision, oldest first, with the person's own ids put back in. */
  readonly history: readonly ConsentEvent[];
  readonly contactAddress: VerifiedAddress | null;
  /**
   * E-mail purposes given but not yet confirmed (status `pending` in the ledger): the link was
   * sent and not opened. Read from the ledger, since PendingConfirmations cannot count a
   * subject's tokens; the tokens themselves hold nothing the export lacks but the address typed.
   */
  readonly pendingConfirmations: number;
  /** Whether the person is on the do-not-contact list, and since when; never the hashes. */
  readonly suppression: {
    readonly listed: boolean;
    readonly entries: readonly {
      readonly kind: SuppressionKind;
      readonly reason: SuppressionReason;
      readonly addedAt: string;
    }[];
  };
  readonly transcripts: {
    readonly activities: number;
    readonly conversations: readonly ExportedConversation[];
  };
}

/**
 * The bot files a verified address under the subject its confirmations carry, the ledger's
 * (bot/email/double-opt-in.ts). One filed under the channel's ids is found and erased as well: erasure
 * must not depend on which of the two a caller used.
 */
async function addressOf(
  addresses: ContactAddresses,
  subject: Subject,
  ledgerSubject: Subject,
): Promise<VerifiedAddress | undefined> {
  return (await addresses.get(ledgerSubject)) ?? (await addresses.get(subject));
}

/** Activities grouped by conversation, in the order each conversation first appears. */
function byConversation(activities: readonly Activity[]): ExportedConversation[] {
  const groups = new Map<string, { channelId: string; conversationId: string; list: Activity[] }>();
  for (const activity of activities) {
    const conversationId = activity.conversation.id;
    const group = groups.get(conversationId) ?? {
      channelId: activity.channelId,
      conversationId,
      list: [],
    };
    group.list.push(activity);
    groups.set(conversationId, group);
  }
  return [...groups.values()].map(({ channelId, conversationId, list }) => ({
    channelId,
    conversationId,
    activities: list,
  }));
}

/** Everything stored about the person: what "what do you have on me?" and the API return. */
export async function exportSubject(
  deps: SubjectDataDeps,
  subject: Subject,
  ledgerSubject: Subject,
): Promise<SubjectExport> {
  const { catalogue } = deps;
  const generatedAt = (deps.now?.() ?? new Date()).toISOString();
  const [history, address, activities, hashes] = await Promise.all([
    deps.ledger.history(ledgerSubject),
    addressOf(deps.addresses, subject, ledgerSubject),
    deps.transcripts.activitiesOfUser(subject.channelId, subject.userId),
    deps.suppressionHashesOf(subject),
  ]);
  const listed = hashes.length === 0 ? [] : await deps.suppression.anyOf(hashes);
  const statuses = deriveStatuses(catalogue, history);
  return {
    format: SUBJECT_EXPORT_FORMAT,
    generatedAt,
    controller: catalogue.controller,
    catalogueVersion: catalogue.version,
    subject: { channelId: subject.channelId, userId: subject.userId },
    purposes: catalogue.purposes.map((purpose) => {
      const status = statuses.find((s) => s.purposeId === purpose.id);
      return {
        purposeId: purpose.id,
        title: purpose.title,
        status: status?.status ?? 'unknown',
        currentVersion: purpose.version,
        ...(status?.event
          ? { decidedOnVersion: status.event.purposeVersion, decidedAt: status.event.recordedAt }
          : {}),
      };
    }),
    // The ledger holds a pseudonym; the person is entitled to see the events as theirs.
    history: history.map((event) => ({ ...event, subject: { ...subject } })),
    contactAddress: address ? { email: address.email, verifiedAt: address.verifiedAt } : null,
    pendingConfirmations: statuses.filter((s) => s.status === 'pending').length,
    suppression: {
      listed: listed.length > 0,
      entries: listed.map(({ kind, reason, addedAt }) => ({ kind, reason, addedAt })),
    },
    transcripts: { activities: activities.length, conversations: byConversation(activities) },
  };
}

/** "one" or "other" form of a counted sentence, chosen here: i18next plural rules differ by locale. */
function counted(t: Translate, key: string, n: number, values: Record<string, unknown> = {}) {
  return t(`${key}.${n === 1 ? 'one' : 'other'}`, { ...values, n });
}

function dateOf(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(iso),
  );
}

/** "jane@example.com" -> "j***@example.com": the chat may be read over a shoulder. */
function masked(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 1 ? '***' : `${email.slice(0, 1)}***${email.slice(at)}`;
}

/**
 * A short readable summary for the chat: statuses and counts, never the transcripts' text (the
 * JSON export carries everything).
 */
export function summariseExport(exp: SubjectExport, t: Translate, locale: Locale): string[] {
  const lines = [t('rights.export.intro'), t('rights.export.choices')];
  for (const purpose of exp.purposes) {
    lines.push(
      t('rights.export.choice', {
        purpose: purpose.title[locale],
        status: t(`rights.status.${purpose.status}`),
      }),
    );
  }
  const last = exp.history.at(-1);
  lines.push(
    last
      ? counted(t, 'rights.export.decisions', exp.history.length, {
          date: dateOf(last.recordedAt, locale),
        })
      : t('rights.export.noDecisions'),
  );
  lines.push(
    exp.contactAddress
      ? t('rights.export.address', {
          email: masked(exp.contactAddress.email),
          date: dateOf(exp.contactAddress.verifiedAt, locale),
        })
      : t('rights.export.noAddress'),
  );
  if (exp.pendingConfirmations > 0) {
    lines.push(counted(t, 'rights.export.pending', exp.pendingConfirmations));
  }
  const messages = exp.transcripts.activities;
  lines.push(
    messages > 0 ? counted(t, 'rights.export.messages', messages) : t('rights.export.noMessages'),
  );
  if (exp.suppression.listed) lines.push(t('rights.export.suppressed'));
  lines.push(t('rights.export.file'));
  return lines;
}

/** What erasure did, and what it kept and why (the person is told both: art. 12(1), 17). */
export interface ErasureReport {
  readonly erasedAt: string;
  readonly erased: {
    /** Activities of the transcripts of every conversation the person took part in. */
    readonly transcriptActivities: number;
    readonly contactAddress: boolean;
    readonly pendingConfirmations: number;
    readonly conversationStates: number;
  };
  readonly kept: {
    readonly consentEvents: {
      readonly count: number;
      readonly form: 'pseudonymised';
      readonly why: string;
    };
    readonly suppression: {
      readonly kinds: readonly SuppressionKind[];
      readonly form: 'keyed-hash';
      readonly why: string;
    };
  };
}

export const KEPT_CONSENT_EVENTS_WHY =
  'GDPR art. 7(1): the controller must be able to demonstrate consent. Kept under a pseudonym, ' +
  'without the channel user id (art. 17(3)(e), art. 25).';
export const KEPT_SUPPRESSION_WHY =
  'GDPR art. 17 and 21(3): a keyed hash (HMAC) of each identifier, naming nobody, so that the ' +
  'person is never contacted again by mistake, even if re-imported.';

/** The key ConversationMemory (bot/chat/conversation-memory.ts) keeps a conversation's state under. */
export function conversationStateKey(channelId: string, conversationId: string): string {
  return `${channelId}/conversations/${conversationId}/consent`;
}

export interface EraseOptions {
  /**
   * The conversation the erasure is asked in, if any: its state is left alone, because the turn
   * that asks is about to write it (deleting it under that turn would make its write conflict).
   */
  readonly currentConversationId?: string;
}

/**
 * Erasure (GDPR art. 17). Writes the suppression entries first (and the erasure marker of the
 * ledger subject), so that a failure half-way never leaves the person re-contactable nor their
 * deleted transcripts unexplained, then deletes: conversation state, transcripts (whole
 * conversations), pending confirmations, the verified address (last, so that a retry after a
 * failure still finds the address to list). Keeps the ledger as it is: pseudonymised proof.
 * Idempotent: erasing twice deletes nothing more and lists nothing twice.
 */
export async function eraseSubject(
  deps: SubjectDataDeps,
  subject: Subject,
  ledgerSubject: Subject,
  now: Date,
  options: EraseOptions = {},
): Promise<ErasureReport> {
  const [address, history] = await Promise.all([
    addressOf(deps.addresses, subject, ledgerSubject),
    deps.ledger.history(ledgerSubject),
  ]);

  const entries = deps.suppressionEntriesOf(subject, address?.email, now);
  // The ledger subject is listed too (a keyed hash of the pseudonym, as of a user id): erasure
  // deletes conversations at any age, and verification must tell that from a recent transcript
  // deleted to hide an edit (bot/proof/transcript-links.ts). Written before anything is deleted.
  const marker = deps.suppressionEntriesOf(ledgerSubject, undefined, now);
  await deps.suppression.add([...entries, ...marker]);

  let conversationStates = 0;
  if (deps.botState) {
    // Found through the transcripts, so before they go.
    const activities = await deps.transcripts.activitiesOfUser(subject.channelId, subject.userId);
    const keys = [
      ...new Set(
        activities
          .map((a) => a.conversation.id)
          .filter((id) => id !== options.currentConversationId)
          .map((id) => conversationStateKey(subject.channelId, id)),
      ),
    ];
    if (keys.length > 0) {
      conversationStates = Object.keys(await deps.botState.read(keys)).length;
      await deps.botState.delete(keys);
    }
  }

  const transcriptActivities = await deps.transcripts.deleteForUser(
    subject.channelId,
    subject.userId,
  );
  const pendingConfirmations = await deps.confirmations.deleteForSubject(ledgerSubject);
  const deletedUnderLedger = await deps.addresses.delete(ledgerSubject);
  const deletedUnderChannel = await deps.addresses.delete(subject);

  return {
    erasedAt: now.toISOString(),
    erased: {
      transcriptActivities,
      contactAddress: deletedUnderLedger || deletedUnderChannel,
      pendingConfirmations,
      conversationStates,
    },
    kept: {
      consentEvents: { count: history.length, form: 'pseudonymised', why: KEPT_CONSENT_EVENTS_WHY },
      suppression: {
        kinds: [...new Set(entries.map((e) => e.kind))],
        form: 'keyed-hash',
        why: KEPT_SUPPRESSION_WHY,
      },
    },
  };
}

/** What to tell the person after erasure, in plain words: what went, what stayed and why. */
export function describeErasure(report: ErasureReport, t: Translate): string {
  const { erased, kept } = report;
  const items: string[] = [];
  if (erased.transcriptActivities > 0) {
    items.push(counted(t, 'rights.erasure.item.messages', erased.transcriptActivities));
  }
  if (erased.conversationStates > 0) items.push(t('rights.erasure.item.state'));
  if (erased.pendingConfirmations > 0) {
    items.push(counted(t, 'rights.erasure.item.pending', erased.pendingConfirmations));
  }
  if (erased.contactAddress) items.push(t('rights.erasure.item.address'));
  const lines = [
    items.length > 0
      ? t('rights.erasure.deleted', { items: items.join(', ') })
      : t('rights.erasure.nothingDeleted'),
  ];
  if (kept.consentEvents.count > 0) {
    lines.push(
      `${counted(t, 'rights.erasure.keptProof', kept.consentEvents.count)} ${t('rights.erasure.keptProofWhy')}`,
    );
  }
  if (kept.suppression.kinds.length > 0) {
    lines.push(
      kept.suppression.kinds.includes('email')
        ? t('rights.erasure.keptFingerprint.idAndEmail')
        : t('rights.erasure.keptFingerprint.id'),
    );
  }
  lines.push(t('rights.erasure.after'));
  return lines.join('\n');
}
