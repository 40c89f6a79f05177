import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../consent/chain.js';
import { checkTranscriptLink } from '../consent/transcript-digest.js';
import { openEmbeddedStores, openMemoryStores, type Stores } from '../storage/stores.js';
import { conversationActivities } from '../bot/proof/transcript-links.js';
import { verifyLedger } from '../bot/proof/ledger-verification.js';
import { proofChecks } from '../bot/proof/proof-checks.js';
import { erasureMarkerHash } from '../consent/suppression.js';
import { catalogue, startTestBot, temporaryFolder, TEST_KEYS } from './harness.js';
import { AGENT, COMPLIANCE, customer, startServer } from './http-harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const RETENTION_DAYS = 90;

/**
 * Someone with file access to the embedded store deletes the first stored activity of a
 * conversation (every activity stored at that first instant), or the whole conversation.
 */
function deleteBeginning(file: string, conversationId: string, whole = false): number {
  const db = new Database(file);
  try {
    return db
      .prepare(
        whole
          ? 'DELETE FROM transcript_activities WHERE conversation_id = @id'
          : `DELETE FROM transcript_activities WHERE conversation_id = @id AND ts =
             (SELECT MIN(ts) FROM transcript_activities WHERE conversation_id = @id)`,
      )
      .run({ id: conversationId }).changes;
  } finally {
    db.close();
  }
}

/** ... and rewrites what the person said. */
function rewriteNoToYes(file: string, conversationId: string): void {
  const db = new Database(file);
  try {
    db.prepare(
      `UPDATE transcript_activities SET body = replace(body, '"text":"no"', '"text":"yes"')
       WHERE conversation_id = ?`,
    ).run(conversationId);
  } finally {
    db.close();
  }
}

/** The transcript's digest in each decision made in chat, on the embedded store. */
describe('decisions linked to their transcript', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function embedded(): { stores: Stores; file: string } {
    const folder = temporaryFolder();
    const stores = openEmbeddedStores(folder.path);
    cleanup.push(folder.remove, () => stores.close());
    return { stores, file: join(folder.path, 'consent-bot.sqlite') };
  }

  it('links each decision to the conversation so far, and shows a changed word', async () => {
    const { stores, file } = embedded();
    const bot = startTestBot({ stores });
    await bot.join();
    await bot.say('no');
    await bot.say('stop');
    const events = await stores.ledger.history(bot.subject);
    // The stop withdraws every purpose, the refused one included.
    expect(events.map((e) => [e.decision, e.source])).toEqual([
      ['refused', 'conversation'],
      ...catalogue.purposes.map(() => ['withdrawn', 'opt-out']),
    ]);
    const stored = await conversationActivities(stores.transcripts, 'test', 'conversation-1');
    const [refusal, stop] = [events[0]!, events[1]!];
    // The refusal covers the greeting, the question and the "no"; the stop covers more.
    expect(refusal.transcript?.activities).toBeGreaterThanOrEqual(3);
    expect(stop.transcript!.activities).toBeGreaterThan(refusal.transcript!.activities);
    expect(stored[refusal.transcript!.activities - 1]?.text).toBe('no');
    for (const event of events)
      expect(checkTranscriptLink(event.transcript!, stored)).toBe('intact');

    // Someone with file access rewrites what the person said.
    const db = new Database(file);
    try {
      db.prepare(
        `UPDATE transcript_activities SET body = replace(body, '"text":"no"', '"text":"yes"')
        WHERE conversation_id = 'conversation-1'`,
      ).run();
    } finally {
      db.close();
    }
    const tampered = await conversationActivities(stores.transcripts, 'test', 'conversation-1');
    expect(tampered.some((a) => a.text === 'yes')).toBe(true);
    expect(checkTranscriptLink(refusal.transcript!, tampered)).toBe('altered');
    // The ledger itself is untouched, and its chain covers the links.
    expect(verifyChain(events)).toEqual([]);
    const forged = [{ ...refusal, transcript: { ...refusal.transcript!, activities: 1 } }];
    expect(verifyChain(forged).map((p) => p.kind)).toEqual(['altered']);
  });

  it('verification over HTTP reports a rewritten transcript where the decision points to it', async () => {
    const folder = temporaryFolder();
    cleanup.push(folder.remove);
    const running = await startServer({ DATA_DIR: folder.path });
    cleanup.push(() => running.close());
    const person = customer(running.url, 'linked-user', 'en');
    await person.join();
    await person.say('no');
    const verify = async (path: string) => {
      const response = await fetch(`${running.url}${path}`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { intact: boolean; problems: { kind: string }[] };
    };
    const subjectPath = '/api/subjects/webchat/linked-user/verify';
    expect(await verify(subjectPath)).toMatchObject({ intact: true, problems: [] });

    const db = new Database(join(folder.path, 'consent-bot.sqlite'));
    try {
      db.prepare(
        `UPDATE transcript_activities SET body = replace(body, '"text":"no"', '"text":"yes"')`,
      ).run();
    } finally {
      db.close();
    }
    for (const path of [subjectPath, '/api/compliance/verify']) {
      const report = await verify(path);
      expect(report.intact, path).toBe(false);
      expect(
        report.problems.map((p) => p.kind),
        path,
      ).toEqual(['transcript-altered']);
    }
  });

  it('after erasure the transcript is unavailable, not altered', async () => {
    const { stores } = embedded();
    const bot = startTestBot({ stores });
    await bot.join();
    await bot.say('no');
    const [refusal] = await stores.ledger.history(bot.subject);
    await stores.transcripts.deleteForUser('test', 'user-1');
    const left = await conversationActivities(stores.transcripts, 'test', 'conversation-1');
    expect(checkTranscriptLink(refusal!.transcript!, left)).toBe('unavailable');
  });

  it('records a stop even when the transcript cannot be read, without a link', async () => {
    const stores = openMemoryStores();
    const broken: Stores = {
      ...stores,
      transcripts: Object.assign(Object.create(stores.transcripts) as Stores['transcripts'], {
        getTranscriptActivities: () => Promise.reject(new Error('transcripts down')),
      }),
    };
    const bot = startTestBot({ stores: broken });
    await bot.join();
    const reply = await bot.say('stop');
    expect(reply[0]?.text).toMatch(/stopp|withdr/i);
    const events = await stores.ledger.history(bot.subject);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.decision === 'withdrawn' && e.transcript === undefined)).toBe(
      true,
    );
  });

  it('reports a beginning deleted minutes after the decision to hide an edit, not one past retention', async () => {
    const { stores, file } = embedded();
    const bot = startTestBot({ stores });
    await bot.join();
    await bot.say('no');
    const [refusal] = await stores.ledger.history(bot.subject);
    const decidedAt = Date.parse(refusal!.recordedAt);
    const verifyAt = async (now: number) => {
      const report = await verifyLedger(
        stores.ledger,
        { subject: bot.subject },
        {
          checkEvent: proofChecks({
            notices: stores.notices,
            transcripts: stores.transcripts,
            suppression: stores.suppression,
            suppressionSecret: TEST_KEYS.suppressionSecret,
            transcriptRetentionMs: RETENTION_DAYS * DAY_MS,
            now: () => new Date(now),
          }),
        },
      );
      return report.problems.map((p) => [p.kind, p.eventId]);
    };
    expect(await verifyAt(decidedAt + 5 * 60_000)).toEqual([]);

    expect(deleteBeginning(file, 'conversation-1')).toBeGreaterThan(0);
    rewriteNoToYes(file, 'conversation-1');
    const left = await conversationActivities(stores.transcripts, 'test', 'conversation-1');
    expect(left.some((a) => a.text === 'yes')).toBe(true);
    // Five minutes after the decision retention cannot have taken anything, and nobody was erased.
    expect(await verifyAt(decidedAt + 5 * 60_000)).toEqual([['transcript-missing', refusal!.id]]);
    // A day short of the retention period, still not retention's doing.
    expect(await verifyAt(decidedAt + (RETENTION_DAYS - 1) * DAY_MS)).toEqual([
      ['transcript-missing', refusal!.id],
    ]);
    // Past the period, retention removes the oldest activities first: nothing left to compare.
    expect(await verifyAt(decidedAt + (RETENTION_DAYS + 1) * DAY_MS)).toEqual([]);

    // The whole conversation gone, minutes after: the same finding.
    deleteBeginning(file, 'conversation-1', true);
    expect(await conversationActivities(stores.transcripts, 'test', 'conversation-1')).toEqual([]);
    expect(await verifyAt(decidedAt + 5 * 60_000)).toEqual([['transcript-missing', refusal!.id]]);
    expect(await verifyAt(decidedAt + (RETENTION_DAYS + 1) * DAY_MS)).toEqual([]);
  });

  it('over HTTP: an erased person is no problem, a recent beginning deleted otherwise is', async () => {
    const folder = temporaryFolder();
    cleanup.push(folder.remove);
    const running = await startServer({ DATA_DIR: folder.path });
    cleanup.push(() => running.close());
    const file = join(folder.path, 'consent-bot.sqlite');
    const verify = async (path: string) => {
      const response = await fetch(`${running.url}${path}`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { intact: boolean; problems: { kind: string }[] };
    };
    const kindsOf = async (user: string) => {
      const kinds: Record<string, string[]> = {};
      for (const path of [
        `/api/subjects/webchat/${user}/verify`,
        `/api/compliance/verify?channelId=webchat&userId=${user}`,
        '/api/compliance/verify',
      ]) {
        kinds[path.startsWith('/api/subjects') ? 'subject' : path.includes('?') ? 'api' : 'store'] =
          (await verify(path)).problems.map((p) => p.kind);
      }
      return kinds;
    };
    const tampered = customer(running.url, 'tampered-user', 'en');
    await tampered.join();
    await tampered.say('no');
    const erased = customer(running.url, 'erased-user', 'en');
    await erased.join();
    await erased.say('no');
    expect(await kindsOf('tampered-user')).toEqual({ subject: [], api: [], store: [] });

    // The first activity of one conversation goes, then what the person said is rewritten.
    expect(deleteBeginning(file, 'conv-tampered-user')).toBeGreaterThan(0);
    rewriteNoToYes(file, 'conv-tampered-user');
    // The other person asks for erasure (GDPR art. 17): their whole conversation goes, lawfully.
    const erasure = await fetch(`${running.url}/api/subjects/webchat/erased-user/erasure`, {
      method: 'POST',
      headers: { authorization: `Bearer ${AGENT}` },
    });
    expect(erasure.status).toBe(200);
    expect(
      await conversationActivities(running.stores.transcripts, 'webchat', 'conv-erased-user'),
    ).toEqual([]);

    const missing = ['transcript-missing'];
    expect(await kindsOf('tampered-user')).toEqual({
      subject: missing,
      api: missing,
      store: missing,
    });
    expect((await verify('/api/subjects/webchat/erased-user/verify')).problems).toEqual([]);

    // Erasure is told apart by a keyed hash of the ledger pseudonym on the suppression list. If
    // that entry is deleted, the erased person's transcripts look removed unlawfully: a false
    // alarm, the safe direction, and a sign the suppression list itself was tampered with.
    const marker = erasureMarkerHash(
      TEST_KEYS.suppressionSecret,
      TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'erased-user' }),
    );
    const db = new Database(file);
    try {
      expect(db.prepare('DELETE FROM suppression WHERE hash = ?').run(marker).changes).toBe(1);
    } finally {
      db.close();
    }
    expect((await verify('/api/subjects/webchat/erased-user/verify')).problems).toEqual([
      { kind: 'transcript-missing', seq: 1, eventId: expect.any(String) as unknown },
    ]);
  });
});
