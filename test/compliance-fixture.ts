import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Activity } from 'botbuilder';
import type { AccessLog, AccessRecord } from '../consent/access-log.js';
import type {
  ConsentDecision,
  ConsentEvent,
  ConsentLedger,
  LedgerSearch,
  NoticeArchive,
  NoticeRecord,
} from '../consent/ledger.js';
import type { OptOutReasons } from '../consent/opt-out-reasons.js';
import type { SuppressionList } from '../consent/suppression.js';
import { controllerDetailsOf, type ControllerDetails } from '../consent/receipts.js';
import { subjectKey, type Subject } from '../consent/subject.js';
import { tokenAuthenticator } from '../bot/http/auth.js';
import { proofChecksOf } from '../bot/proof/proof-checks.js';
import { complianceRoutes, type ComplianceRoutesDeps } from '../bot/compliance/routes.js';
import type { TimelineItem } from '../bot/compliance/timeline.js';
import type { ApiToken } from '../bot/platform/config.js';
import type { VerificationReport } from '../bot/proof/ledger-verification.js';
import type {
  ConversationSummary,
  TranscriptSearch,
  TranscriptStoreWithRetention,
} from '../storage/transcript-rules.js';
import { catalogue, TEST_KEYS } from './harness.js';
import { AGENT, COMPLIANCE, MARKETING, recordingLog, routesOnFreePort } from './http-harness.js';

/** The stores the compliance routes read: what `Stores` holds, on any backend. */
export interface ComplianceStores {
  readonly ledger: ConsentLedger & LedgerSearch;
  readonly notices: NoticeArchive;
  readonly transcripts: TranscriptStoreWithRetention & TranscriptSearch;
  readonly accessLog: AccessLog;
  readonly reasons: OptOutReasons;
  /** Where erasure marks whom it erased: verification asks it (bot/proof/proof-checks.ts). */
  readonly suppression: SuppressionList;
  close(): Promise<void>;
}

/** TRANSCRIPT_RETENTION_DAYS of the routes under test, as config defaults it. */
export const RETENTION_DAYS = 90;

export const TOKENS: readonly ApiToken[] = [
  { role: 'compliance', token: COMPLIANCE },
  { role: 'agent', token: AGENT },
  { role: 'marketing', token: MARKETING },
];

export const CONTROLLER: ControllerDetails | undefined = controllerDetailsOf(catalogue);

export interface RoutesUnderTest {
  readonly url: string;
  readonly log: ReturnType<typeof recordingLog>;
  close(): Promise<void>;
}

/** The compliance routes alone, on a real restify server on a free port. */
export async function serveComplianceRoutes(
  stores: ComplianceStores,
  overrides: Partial<ComplianceRoutesDeps> = {},
): Promise<RoutesUnderTest> {
  const log = recordingLog();
  const accessLog = overrides.accessLog ?? stores.accessLog;
  const routes = await routesOnFreePort(
    complianceRoutes({
      catalogue,
      ledger: stores.ledger,
      notices: stores.notices,
      transcripts: stores.transcripts,
      accessLog: stores.accessLog,
      reasons: stores.reasons,
      ledgerSubjectOf: TEST_KEYS.ledgerSubject,
      log,
      ...(CONTROLLER ? { controller: CONTROLLER } : {}),
      checkEvents: proofChecksOf(
        stores,
        TEST_KEYS,
        { TRANSCRIPT_RETENTION_DAYS: RETENTION_DAYS },
        () => new Date(),
      ),
      sealKey: TEST_KEYS.sealKey,
      ...overrides,
    }),
    { auth: tokenAuthenticator(TOKENS), accessLog, log },
  );
  return { ...routes, log };
}

export interface Reply<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The JSON body, as the caller expects it (the test's assertions check it). */
  readonly body: T;
}

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}
export interface EventsBody {
  readonly events: ConsentEvent[];
  readonly next?: string;
}
export interface ConversationsBody {
  readonly conversations: ConversationSummary[];
  readonly next?: string;
}
export interface TimelineBody {
  readonly channelId: string;
  readonly conversationId: string;
  readonly timeline: TimelineItem[];
}
export interface AggregatesBody {
  readonly from: string;
  readonly to: string;
  readonly period: string;
  readonly purposes: { purposeId: string; series: Record<string, number | string | null>[] }[];
  readonly optOutReasons: { totals: Record<string, number> };
}
export type VerifyBody = VerificationReport;
export interface AccessLogBody {
  readonly records: AccessRecord[];
  readonly next?: string;
}

export async function get<T = ErrorBody>(
  url: string,
  path: string,
  token: string | null = COMPLIANCE,
): Promise<Reply<T>> {
  const response = await fetch(`${url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: body as T };
}

// ---------------------------------------------------------------------------------------------
// A small, realistic ledger: three people, two channels, a notice, a conversation transcript.

export const ALICE: Subject = { channelId: 'webchat', userId: 'alice-raw-id' };
export const BOB: Subject = { channelId: 'webchat', userId: 'bob-raw-id' };
/** A Teams id, with characters a URL must encode. */
export const CAROL: Subject = { channelId: 'msteams', userId: '29:1AbC/+=é' };
/** A conversation id that a spreadsheet would run as a formula, with CSV's special characters. */
export const FORMULA_CONVERSATION = '=HYPERLINK("http://evil.example","click"),\nx';

export const NEWSLETTER_NOTICE =
  'Newsletter: one e-mail a week with our new products. You can withdraw at any time by saying "stop".';
export const NEWSLETTER_HASH = createHash('sha256').update(NEWSLETTER_NOTICE).digest('hex');

export const pseudonym = (subject: Subject): Subject => TEST_KEYS.ledgerSubject(subject);

/** The verification problem an event of this (raw) subject should be reported as. */
export const problemAt = (subject: Subject, kind: string, event: ConsentEvent) => ({
  subject: subjectKey(pseudonym(subject)),
  kind,
  seq: event.seq,
  eventId: event.id,
});

let activity = 0;
export function decision(
  subject: Subject,
  fields: Partial<Omit<ConsentDecision, 'subject' | 'channelId'>> = {},
): ConsentDecision {
  activity += 1;
  return {
    subject: pseudonym(subject),
    purposeId: 'newsletter',
    decision: 'given',
    purposeVersion: catalogue.purposes.find((p) => p.id === (fields.purposeId ?? 'newsletter'))!
      .version,
    catalogueVersion: catalogue.version,
    noticeHash: null,
    locale: 'en',
    channelId: subject.channelId,
    conversationId: `conv-${subject.userId}`,
    activityId: `activity-${activity}`,
    source: 'conversation',
    explicit: false,
    ...fields,
  };
}

/** Times of the small ledger; the day ranges in the tests follow them. */
export const T = {
  aliceGiven: new Date('2026-11-02T09:30:00.000Z'),
  aliceWithdrawn: new Date('2026-11-05T10:00:00.000Z'),
  bobGiven: new Date('2026-11-03T08:00:00.000Z'),
  bobConfirmed: new Date('2026-11-04T08:00:00.000Z'),
  carolGiven: new Date('2026-12-01T12:00:00.000Z'),
};

const ms = (date: Date, delta: number): Date => new Date(date.getTime() + delta);

/** Seeds the small ledger and alice's conversation; returns nothing a test should not recompute. */
export async function seedSmallLedger(stores: ComplianceStores): Promise<void> {
  await stores.notices.archive({
    hash: NEWSLETTER_HASH,
    purposeId: 'newsletter',
    purposeVersion: 1,
    catalogueVersion: catalogue.version,
    locale: 'en',
    text: NEWSLETTER_NOTICE,
  });
  const conv = 'conv-alice';
  await stores.ledger.append(
    [
      decision(ALICE, { conversationId: conv, noticeHash: NEWSLETTER_HASH }),
      decision(ALICE, { conversationId: conv, purposeId: 'analytics', decision: 'refused' }),
    ],
    T.aliceGiven,
  );
  await stores.ledger.append(
    [decision(ALICE, { conversationId: conv, decision: 'withdrawn', source: 'opt-out' })],
    T.aliceWithdrawn,
  );
  await stores.ledger.append(
    [decision(BOB, { noticeHash: NEWSLETTER_HASH }), decision(BOB, { purposeId: 'analytics' })],
    T.bobGiven,
  );
  await stores.ledger.append(
    [decision(BOB, { decision: 'confirmed', source: 'email-confirmation' })],
    T.bobConfirmed,
  );
  await stores.ledger.append(
    [decision(CAROL, { purposeId: 'analytics', conversationId: FORMULA_CONVERSATION })],
    T.carolGiven,
  );

  const base = {
    channelId: 'webchat',
    conversation: { id: conv, isGroup: false, name: '', conversationType: 'personal' },
    serviceUrl: 'http://127.0.0.1:1',
  };
  const user = { id: ALICE.userId, name: 'Alice Martin', role: 'user' };
  const bot = { id: 'consent-bot', name: 'Consent bot', role: 'bot' };
  const activities: Partial<Activity>[] = [
    {
      ...base,
      id: 'a1',
      type: 'event',
      name: 'webchat/join',
      from: user,
      recipient: bot,
      timestamp: ms(T.aliceGiven, -2000),
    },
    {
      ...base,
      id: 'a2',
      type: 'message',
      text: 'yes to the newsletter',
      from: user,
      recipient: bot,
      channelData: { clientSecret: 'must-not-leave-the-store' },
      timestamp: T.aliceGiven,
    },
    {
      ...base,
      id: 'a3',
      type: 'message',
      text: 'Noted: newsletter on.',
      from: bot,
      recipient: user,
      timestamp: T.aliceGiven,
    },
    {
      ...base,
      id: 'a4',
      type: 'message',
      text: 'stop',
      from: user,
      recipient: bot,
      timestamp: ms(T.aliceWithdrawn, -1),
    },
    {
      ...base,
      id: 'a5',
      type: 'message',
      text: 'Done: you will get nothing more.',
      from: bot,
      recipient: user,
      timestamp: ms(T.aliceWithdrawn, 1),
    },
  ];
  for (const a of activities) await stores.transcripts.logActivity(a as Activity);
  // Bob has a conversation too, on another day.
  await stores.transcripts.logActivity({
    ...base,
    conversation: { ...base.conversation, id: 'conv-bob-raw-id' },
    id: 'b1',
    type: 'message',
    text: 'hello',
    from: { id: BOB.userId, name: 'Bob', role: 'user' },
    recipient: bot,
    timestamp: T.bobGiven,
  } as Activity);
}

/**
 * `people` subjects with `perPerson` decisions each (given, refused, withdrawn... in turn, across
 * purposes), a minute apart per person: a ledger large enough to stream.
 */
export async function seedManyEvents(
  ledger: ConsentLedger,
  people: number,
  perPerson: number,
  start = new Date('2026-10-01T00:00:00.000Z'),
): Promise<number> {
  const purposes = catalogue.purposes.map((p) => p.id);
  const kinds = ['given', 'refused', 'withdrawn', 'given', 'confirmed'] as const;
  for (let p = 0; p < people; p += 1) {
    const subject = { channelId: p % 2 ? 'webchat' : 'msteams', userId: `person-${p}` };
    const decisions = Array.from({ length: perPerson }, (_, i) =>
      decision(subject, {
        purposeId: purposes[i % purposes.length]!,
        decision: kinds[i % kinds.length]!,
        conversationId: `conv-many-${p}`,
      }),
    );
    await ledger.append(decisions, new Date(start.getTime() + p * 60_000));
  }
  return people * perPerson;
}

/** RFC 4180: records of fields, quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else if (c === '"' || c === '\r' || c === '\n') {
      throw new Error(`not RFC 4180 at ${i}`);
    } else field += c;
  }
  if (quoted || field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

/**
 * Someone with file access to the embedded store: drops the append-only triggers and rewrites or
 * deletes one event of a subject (by its ledger key) directly in SQLite.
 */
export function tamperSqlite(
  dataDir: string,
  subject: Subject,
  seq: number,
  change: ((event: ConsentEvent) => ConsentEvent) | 'delete',
): void {
  const db = new Database(join(dataDir, 'consent-bot.sqlite'));
  try {
    const key = subjectKey(subject);
    if (change === 'delete') {
      db.exec('DROP TRIGGER IF EXISTS consent_events_no_delete');
      db.prepare('DELETE FROM consent_events WHERE subject_key = ? AND seq = ?').run(key, seq);
      return;
    }
    db.exec('DROP TRIGGER IF EXISTS consent_events_no_update');
    const row = db
      .prepare('SELECT body FROM consent_events WHERE subject_key = ? AND seq = ?')
      .get(key, seq) as { body: string } | undefined;
    if (!row) throw new Error(`no event ${seq} for this subject`);
    const forged = change(JSON.parse(row.body) as ConsentEvent);
    db.prepare('UPDATE consent_events SET body = ? WHERE subject_key = ? AND seq = ?').run(
      JSON.stringify(forged),
      key,
      seq,
    );
  } finally {
    db.close();
  }
}

/**
 * Someone with file access to the embedded store drops the notices' triggers and deletes an
 * archived notice, or rewrites its text under the same hash, directly in SQLite.
 */
export function tamperSqliteNotice(
  dataDir: string,
  hash: string,
  change: ((text: string) => string) | 'delete',
): void {
  const db = new Database(join(dataDir, 'consent-bot.sqlite'));
  try {
    if (change === 'delete') {
      db.exec('DROP TRIGGER IF EXISTS notices_no_delete');
      const { changes } = db.prepare('DELETE FROM notices WHERE hash = ?').run(hash);
      if (changes !== 1) throw new Error('no such notice');
      return;
    }
    db.exec('DROP TRIGGER IF EXISTS notices_no_update');
    const row = db.prepare('SELECT body FROM notices WHERE hash = ?').get(hash) as
      { body: string } | undefined;
    if (!row) throw new Error('no such notice');
    const notice = JSON.parse(row.body) as NoticeRecord;
    db.prepare('UPDATE notices SET body = ? WHERE hash = ?').run(
      JSON.stringify({ ...notice, text: change(notice.text) }),
      hash,
    );
  } finally {
    db.close();
  }
}
