import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../consent/chain.js';
import { checkTranscriptLink } from '../consent/transcript-digest.js';
import { openEmbeddedStores, openMemoryStores, type Stores } from '../storage/stores.js';
import { conversationActivities } from '../bot/transcript-links.js';
import { catalogue, startTestBot, temporaryFolder } from './harness.js';
import { COMPLIANCE, customer, startServer } from './http-harness.js';

/** The transcript's digest in each decision made in chat (issue 5), on the embedded store. */
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
});
