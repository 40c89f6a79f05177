import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../bot/platform/i18n.js';
import { INVISIBLE } from './opt-out-phrasings.js';
import { catalogue } from './harness.js';
import { customer, type BotActivity } from './http-harness.js';
import { startServerProcess, TEST_TOKEN, type ServerProcess } from './server-process.js';

/**
 * One customer's very long message must not hold up another customer's stop (GDPR art. 7(3): a
 * withdrawal takes effect at once). The transcript logger's redaction and opt-out detection read
 * every message before the length check, on the one event loop of the process: either one slower
 * than linear made every stop wait for the longest message in flight (minutes for 240 KB).
 *
 * A real server process (restify, CloudAdapter, embedded store), so that the clock of this test
 * keeps running while the server is busy. This is the one time limit of the suite, on purpose:
 * "a stop is answered while another message is processed" is the property, and a second is about
 * ten times what it takes.
 */
const en = createTranslator()('en');
// Every customer here stops before agreeing to anything: the confirmation says so.
const stopReply = `${en('optOut.nothing')}\n\n${en('optOut.why')}`;
const tooLong = en('error.tooLong', { max: 2000 });
// After it, the open question (the first purpose) is asked again, so the next answer answers it.
const reasked = catalogue.purposes[0]?.question.en ?? '';

const texts = (replies: readonly BotActivity[]) => replies.map((reply) => reply.text ?? '');
const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

describe('a 240 KB message, and another customer stopping meanwhile', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({});
    // A first stop and a first message over the limit, so that the time measured below is the
    // server's, not its just-in-time compiler's on the first turn of each kind.
    const first = customer(server.url, 'long-warm-up', 'en-US');
    await first.join();
    expect(texts(await first.say('no more '.repeat(500)))).toEqual([tooLong, reasked]);
    expect(texts(await first.say('stop'))).toEqual([stopReply]);
  });
  afterAll(async () => {
    // A server stuck in a slow match cannot run its SIGTERM handler.
    await server.kill('SIGKILL');
  });

  /** Each purpose's status as the compliance API reads it from the ledger. */
  async function statuses(user: string): Promise<Record<string, string>> {
    const response = await fetch(`${server.url}/api/subjects/webchat/${user}/consents`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { purposes: { purposeId: string; status: string }[] };
    return Object.fromEntries(body.purposes.map((p) => [p.purposeId, p.status]));
  }
  const all = (status: string) =>
    Object.fromEntries(catalogue.purposes.map((purpose) => [purpose.id, status]));

  it('is under the body limit, so the bot reads it rather than restify refusing it', () => {
    const body = JSON.stringify({ type: 'message', text: 'no more '.repeat(30_000) });
    expect(Buffer.byteLength(body)).toBeGreaterThanOrEqual(240_000);
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024 - 1024);
  });

  // The last two are slow to redact rather than to detect: the transcript logger reads every
  // message before the guard does.
  it.each(['no more ', 'never opt me back in ', 'dont resubscribe ', 'x', '1 '])(
    '%j to 240 KB: a stop sent meanwhile is answered and recorded within a second',
    async (unit) => {
      const id = unit.trim().replaceAll(' ', '-');
      const a = customer(server.url, `long-a-${id}`, 'en-US');
      const b = customer(server.url, `long-b-${id}`, 'en-US');
      await a.join();
      await b.join();

      const fromA = a.say(unit.repeat(Math.ceil(240_000 / unit.length)));
      // Long enough for A's message to be in the server and being read, as B presses send.
      await sleep(50);
      const sentAt = performance.now();
      // Given up after five seconds, so that a blocked server fails here, not on a test timeout.
      const answerB = await Promise.race([b.say('stop'), sleep(5000).then(() => undefined)]);
      const elapsed = performance.now() - sentAt;

      expect(elapsed).toBeLessThan(1000);
      expect(texts(answerB ?? [])).toEqual([stopReply]);
      expect(await statuses(`long-b-${id}`)).toEqual(all('withdrawn'));
      // A is told the message is too long, and nothing of theirs changed.
      expect(texts(await fromA)).toEqual([tooLong, reasked]);
      expect(await statuses(`long-a-${id}`)).toEqual(all('unknown'));
    },
  );

  it.each([
    ['ending with "please unsubscribe me"', 'please unsubscribe me'],
    ['ending with a stop written with invisible characters', `s${INVISIBLE[0]?.[1]}top`],
  ])('obeys a stop inside the long message itself: %s', async (_name, ending) => {
    const user = `long-paste-${ending.length}`;
    const a = customer(server.url, user, 'en-US');
    await a.join();
    const pasted = `${'the quick brown fox jumps over a lazy dog '.repeat(5_500)}${ending}`;
    expect(pasted.length).toBeGreaterThan(230_000);
    expect(texts(await a.say(pasted))).toEqual([stopReply]);
    expect(await statuses(user)).toEqual(all('withdrawn'));
  });
});
