import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ConsentEvent, Decision } from '../consent/ledger.js';
import { createTranslator, listOf } from '../bot/platform/i18n.js';
import { openMongoStores } from '../storage/stores.js';
import { catalogue, temporaryFolder, TEST_KEYS } from './harness.js';
import { send, startServerProcess, TEST_TOKEN, type ServerProcess } from './server-process.js';

/**
 * Real server processes, as `npm start` runs them: two on one MongoDB at once, and one killed with
 * SIGKILL in the middle of a burst of decisions. What the customer was told is checked against
 * what the ledger holds.
 */
const t = createTranslator()('en');
const running: ServerProcess[] = [];
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.kill('SIGKILL')));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const server = await startServerProcess(env);
  running.push(server);
  return server;
}

/** The decision a reply acknowledges ("Noted: yes to Weekly newsletter"), if any. */
function acknowledged(text: string): { purposeId: string; decision: Decision } | undefined {
  for (const purpose of catalogue.purposes) {
    const title = purpose.title.en;
    // Double opt-in: "we sent you a link" acknowledges the yes (recorded, pending confirmation).
    const sent = t('address.sent', { title, address: 'j***@example.com', hours: 48 });
    if (text === t('decision.given', { title }) || text === sent) {
      return { purposeId: purpose.id, decision: 'given' };
    }
    if (text === t('decision.refused', { title })) {
      return { purposeId: purpose.id, decision: 'refused' };
    }
  }
  return undefined;
}

async function historyOf(url: string, user: string): Promise<ConsentEvent[]> {
  const response = await fetch(`${url}/api/subjects/webchat/${user}/consents`, {
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: ConsentEvent[] }).events;
}

function expectGaplessAndUnique(events: readonly ConsentEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const deliveries = events.map((e) => `${e.conversationId}|${e.activityId}|${e.purposeId}`);
  expect(new Set(deliveries).size).toBe(deliveries.length);
}

describe('two server processes on one MongoDB', () => {
  it('leave a ledger with no gap, duplicate or lost event when driven at once', async () => {
    const uri = inject('mongoUri');
    const db = `two_servers_${randomUUID().slice(0, 8)}`;
    const [a, b] = await Promise.all([
      start({ MONGODB_URI: uri, MONGODB_DB: db }),
      start({ MONGODB_URI: uri, MONGODB_DB: db }),
    ]);
    const servers = [a, b];
    const customers = Array.from({ length: 8 }, (_, i) => `two-servers-${i}`);
    const told = new Map<string, { purposeId: string; decision: Decision }[]>();

    await Promise.all(
      customers.map(async (user, i) => {
        const conversation = `conversation-${user}`;
        let n = 0;
        const id = () => `${conversation}-${++n}`;
        const notes: { purposeId: string; decision: Decision }[] = [];
        told.set(user, notes);
        await send(a.url, { user, conversation, id: id(), join: true });
        // One conversation, its turns alternating between the two servers.
        const answers = ['yes', 'jane@example.com', 'no', 'yes', 'yes', 'I agree', 'yes'];
        for (const [k, text] of [...answers, 'jane@example.com'].entries()) {
          const server = servers[(i + k) % 2] ?? a;
          for (const reply of await send(server.url, { user, conversation, id: id(), text })) {
            const note = acknowledged(reply.text);
            if (note) notes.push(note);
          }
        }
        // Concurrent turns of the same conversation on both servers, and one activity
        // delivered to both (a channel retrying).
        const twice = id();
        await Promise.all([
          send(a.url, { user, conversation, id: id(), text: 'stop the newsletter' }),
          send(b.url, { user, conversation, id: id(), text: 'stop analytics' }),
          send(a.url, { user, conversation, id: twice, text: 'stop partner sharing' }),
          send(b.url, { user, conversation, id: twice, text: 'stop partner sharing' }),
        ]);
      }),
    );

    for (const user of customers) {
      const events = await historyOf(b.url, user);
      expectGaplessAndUnique(events);
      // Nothing the customer was told is missing.
      expect(told.get(user)).toEqual([
        { purposeId: 'newsletter', decision: 'given' },
        { purposeId: 'personalised-offers', decision: 'refused' },
        { purposeId: 'analytics', decision: 'given' },
        { purposeId: 'location', decision: 'given' },
        { purposeId: 'partner-sharing', decision: 'given' },
      ]);
      const decided = events.map((e) => `${e.purposeId}:${e.decision}`);
      expect(decided.slice(0, 5)).toEqual([
        'newsletter:given',
        'personalised-offers:refused',
        'analytics:given',
        'location:given',
        'partner-sharing:given',
      ]);
      // Three withdrawals, each once, whichever server got there first.
      expect([...decided.slice(5)].sort()).toEqual([
        'analytics:withdrawn',
        'newsletter:withdrawn',
        'partner-sharing:withdrawn',
      ]);
    }

    const stores = await openMongoStores(uri, db);
    cleanups.push(() => stores.close());
    const [first] = customers;
    const ledgerSubject = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: first ?? '' });
    // The ledger knows people by a pseudonym only: no raw user id in its subjects.
    const stored = await stores.ledger.history(ledgerSubject);
    expect(stored.every((e) => e.subject.userId.startsWith('p:'))).toBe(true);
    expect(stored.map((e) => e.subject.userId)).not.toContain(first);
    expect(await stores.ledger.history(ledgerSubject)).toHaveLength(8);
  });
});

/** The durable stores, each as a process's environment; a fresh database or folder per call. */
const DURABLE_STORES: readonly (readonly [string, () => NodeJS.ProcessEnv])[] = [
  [
    'the embedded store',
    () => {
      const folder = temporaryFolder();
      cleanups.push(folder.remove);
      return { DATA_DIR: folder.path, STORE: 'embedded' };
    },
  ],
  [
    'MongoDB',
    () => ({ MONGODB_URI: inject('mongoUri'), MONGODB_DB: `durable_${randomUUID().slice(0, 8)}` }),
  ],
];

// Two processes on one store are replicas behind a load balancer.
describe.each(DURABLE_STORES)(
  '"yes" and "stop" at once on two servers, on %s',
  (_name, storeEnv) => {
    it('never leaves an acknowledged stop followed by a consent', async () => {
      const env = storeEnv();
      const [a, b] = await Promise.all([start(env), start(env)]);
      const customers = Array.from({ length: 120 }, (_, i) => `racer-${i}`);
      // The confirmation names the consent in force when the stop landed: the yes to
      // "Personalised offers" if it came first, else nothing (it says so).
      const stopReplies = [
        t('optOut.all', { purposes: listOf('en', [catalogue.purposes[1]?.title.en ?? '']) }),
        t('optOut.nothing'),
      ];
      const race = async (user: string, i: number) => {
        const conversation = `race-${user}`;
        await send(a.url, { user, conversation, id: `${user}-join`, join: true });
        // No to the newsletter: the open question is now "Personalised offers", a plain yes.
        await send(b.url, { user, conversation, id: `${user}-no`, text: 'no' });
        // Alternate which server gets which message, so both orders of arrival occur.
        const [yesTo, stopTo] = i % 2 ? [a, b] : [b, a];
        const [, stopped] = await Promise.all([
          send(yesTo.url, { user, conversation, id: `${user}-yes`, text: 'yes' }),
          send(stopTo.url, { user, conversation, id: `${user}-stop`, text: 'stop' }),
        ]);
        return {
          user,
          acknowledged: stopped.some((r) => stopReplies.some((reply) => r.text.startsWith(reply))),
        };
      };
      // In waves, as customers arrive: enough at once to race, not a flood of connections.
      const outcomes: Awaited<ReturnType<typeof race>>[] = [];
      for (let from = 0; from < customers.length; from += 20) {
        const wave = customers.slice(from, from + 20);
        outcomes.push(...(await Promise.all(wave.map((user, k) => race(user, from + k)))));
      }

      let yesRecorded = 0;
      for (const { user, acknowledged } of outcomes) {
        expect(acknowledged, user).toBe(true);
        const events = await historyOf(a.url, user);
        expectGaplessAndUnique(events);
        const latest = new Map(events.map((e) => [e.purposeId, e.decision]));
        for (const purpose of catalogue.purposes)
          expect(latest.get(purpose.id), user).toBe('withdrawn');
        if (events.some((e) => e.purposeId === 'personalised-offers' && e.decision === 'given')) {
          yesRecorded += 1;
        }
        const permission = await fetch(
          `${b.url}/api/subjects/webchat/${user}/contact-permissions?purpose=personalised-offers`,
          { headers: { authorization: `Bearer ${TEST_TOKEN}` } },
        );
        expect(await permission.json()).toMatchObject({ allowed: false });
      }
      // Both orders happened: some "yes" landed before the stop (then withdrawn by it), some not.
      expect(yesRecorded).toBeGreaterThan(0);
    }, 900_000);
  },
);

describe.each(DURABLE_STORES)(
  'SIGKILL in the middle of a burst of decisions, on %s',
  (_name, storeEnv) => {
    it('loses no decision that was acknowledged to the customer', async () => {
      const env = storeEnv();
      const server = await start(env);
      const customers = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
      await Promise.all(
        customers.map((user) =>
          send(server.url, { user, conversation: `c-${user}`, id: `${user}-join`, join: true }),
        ),
      );

      const told: { user: string; purposeId: string; decision: Decision }[] = [];
      let killed = false;
      const burst = customers.map(async (user) => {
        // Each customer answers as fast as replies come, until the server dies under them.
        for (const [k, text] of ['yes', 'no', 'yes', 'no', 'no'].entries()) {
          if (killed) return;
          try {
            const replies = await send(server.url, {
              user,
              conversation: `c-${user}`,
              id: `${user}-${k}`,
              text,
            });
            for (const reply of replies) {
              const note = acknowledged(reply.text);
              if (note) told.push({ user, ...note });
            }
          } catch {
            return; // the connection died with the server: nothing was acknowledged
          }
        }
      });
      // Kill once a good part of the burst is acknowledged and the rest is in flight.
      while (told.length < 40) await new Promise((resolve) => setTimeout(resolve, 5));
      killed = true;
      await server.kill('SIGKILL');
      await Promise.all(burst);
      expect(told.length).toBeGreaterThanOrEqual(40);

      const restarted = await start(env);
      for (const user of new Set(told.map((n) => n.user))) {
        const events = await historyOf(restarted.url, user);
        expectGaplessAndUnique(events);
        for (const note of told.filter((n) => n.user === user)) {
          expect(events).toContainEqual(
            expect.objectContaining({ purposeId: note.purposeId, decision: note.decision }),
          );
        }
      }
    });
  },
);
