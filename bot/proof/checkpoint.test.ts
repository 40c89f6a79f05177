import { inject, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import {
  CheckpointReader,
  CheckpointWriter,
  type CheckpointHead,
} from '../../consent/checkpoint.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { openMemoryStores, type Stores } from '../../storage/stores.js';
import { compareUtf8 } from '../../storage/transcript-rules.js';
import { decision, pseudonym, seedManyEvents } from '../../test/compliance-fixture.js';
import { openTestMongoStores } from '../../test/mongo-database.js';
import { verifyLedger } from './ledger-verification.js';

/** A checkpoint of the store as walked, as the lines of its file. */
async function checkpointOf(stores: Stores): Promise<string[]> {
  const writer = new CheckpointWriter();
  const lines = [writer.header(new Date('2026-11-29T10:00:00Z'))];
  const report = await verifyLedger(
    stores.ledger,
    {},
    {
      onHead: (head: CheckpointHead, events: number) => {
        lines.push(writer.head(head, events));
      },
    },
  );
  lines.push(writer.trailer(report.problemCount).line);
  return lines.map((line) => line.trimEnd());
}

const against = (lines: readonly string[]) => ({
  against: new CheckpointReader(lines, compareUtf8).heads(),
});

// Subjects before, between and after the seeded channels (msteams, webchat).
const NEWCOMERS: readonly Subject[] = [
  { channelId: 'emulator', userId: 'ann' },
  { channelId: 'slack', userId: 'bob' },
  { channelId: 'whatsapp', userId: 'cy' },
];

describe.each([
  ['memory', () => Promise.resolve(openMemoryStores())],
  ['MongoDB wire (FerretDB)', () => openTestMongoStores('checkpoint')],
])('a checkpoint taken in the verification walk, on %s', (_, open) => {
  it('accepts grown chains and new subjects, whatever their place in key order', async () => {
    const stores = await open();
    try {
      await seedManyEvents(stores.ledger, 12, 2);
      const lines = await checkpointOf(stores);
      expect(lines).toHaveLength(14);
      expect(JSON.parse(lines[13]!)).toMatchObject({ subjects: 12, events: 24, problems: 0 });

      await stores.ledger.append(
        [decision({ channelId: 'webchat', userId: 'person-1' }, { decision: 'withdrawn' })],
        new Date('2026-11-30T00:00:00Z'),
      );
      for (const subject of NEWCOMERS) {
        await stores.ledger.append([decision(subject)], new Date('2026-11-30T00:00:00Z'));
      }
      expect(await verifyLedger(stores.ledger, {}, against(lines))).toEqual({
        scope: 'store',
        subjects: 15,
        events: 28,
        intact: true,
        problems: [],
        problemCount: 0,
      });
      // A window or one person would make everyone else look deleted.
      await expect(
        verifyLedger(stores.ledger, { channelId: 'webchat' }, against(lines)),
      ).rejects.toThrow(RangeError);
    } finally {
      await stores.close();
    }
  });
});

describe('a checkpoint against a MongoDB-wire store whose documents were deleted', () => {
  it('names the person whose events are all gone', async () => {
    const stores = await openTestMongoStores('checkpoint');
    try {
      await seedManyEvents(stores.ledger, 6, 2);
      const lines = await checkpointOf(stores);
      const gone = subjectKey(pseudonym({ channelId: 'msteams', userId: 'person-2' }));
      const client = new MongoClient(inject('mongoUri'));
      try {
        await client
          .db(stores.databaseName)
          .collection('consent_events')
          .deleteMany({ subjectKey: gone });
      } finally {
        await client.close();
      }
      expect(await verifyLedger(stores.ledger, {}, against(lines))).toMatchObject({
        subjects: 5,
        events: 10,
        intact: false,
        problems: [{ subject: gone, kind: 'subject-missing', seq: 2, eventId: '' }],
      });
    } finally {
      await stores.close();
    }
  });
});
