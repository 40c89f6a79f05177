import { describe, expect, it } from 'vitest';
import { hashConfirmationToken } from '../../consent/confirmations.js';
import { decisionAbout, deriveStatuses, type Decision } from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import { catalogue, TEST_KEYS } from '../../test/harness.js';
import { openMemoryStores, type Stores } from '../../storage/stores.js';
import { DoubleOptIn } from './double-opt-in.js';
import { createTranslator } from '../platform/i18n.js';
import { createLogger } from '../platform/log.js';
import type { OutgoingMail } from './mailer.js';

/**
 * The e-mail side of consent on real (memory) stores and the real ledger rules: what a link does
 * when the consent it was mailed for is no longer pending. The mailer only collects what would be
 * sent; the same flows run through a real SMTP peer in test/stop-means-stop.test.ts.
 */
const T0 = new Date('2026-11-02T09:30:00.000Z');
const jane: Subject = { channelId: 'webchat', userId: 'pseudonym-of-jane' };

function world() {
  const stores: Stores = openMemoryStores();
  const mails: OutgoingMail[] = [];
  let now = T0;
  const doubleOptIn = new DoubleOptIn({
    catalogue,
    ledger: stores.ledger,
    confirmations: stores.confirmations,
    addresses: stores.addresses,
    mailer: { send: (mail) => Promise.resolve(void mails.push(mail)) },
    translator: createTranslator(),
    keys: TEST_KEYS,
    publicUrl: 'http://127.0.0.1:3978',
    ttlHours: 48,
    now: () => now,
    log: createLogger('silent'),
  });
  let activity = 0;
  const decide = (decision: Decision) =>
    stores.ledger.append(
      [
        decisionAbout(catalogue, catalogue.purposes[0]!, {
          subject: jane,
          decision,
          noticeHash: null,
          locale: 'en',
          channelId: 'webchat',
          conversationId: 'conversation-1',
          activityId: `activity-${++activity}`,
          source: decision === 'withdrawn' ? 'opt-out' : 'conversation',
          explicit: false,
        }),
      ],
      now,
    );
  /** The "yes" to the newsletter, then its link mailed: what the bot does with an address. */
  const giveWithLink = async (): Promise<string> => {
    await decide('given');
    expect(await doubleOptIn.send(jane, 'newsletter', 'jane@example.org', 'en')).toBe(
      'j***@example.org',
    );
    const token = /token=([^&\s]+)/.exec(mails.at(-1)?.text ?? '')?.[1];
    expect(token).toBeDefined();
    return token!;
  };
  const status = async () =>
    deriveStatuses(catalogue, await stores.ledger.latest(jane)).find(
      (s) => s.purposeId === 'newsletter',
    )?.status;
  const later = (ms: number) => (now = new Date(now.getTime() + ms));
  return { stores, doubleOptIn, decide, giveWithLink, status, later };
}

describe('DoubleOptIn on real stores', () => {
  it('confirms a pending consent once', async () => {
    const w = world();
    const token = await w.giveWithLink();
    w.later(60_000);
    expect(await w.doubleOptIn.confirm(token)).toMatchObject({ outcome: 'confirmed' });
    expect(await w.status()).toBe('granted');
    expect(await w.stores.addresses.get(jane)).toMatchObject({ email: 'jane@example.org' });
    expect(await w.doubleOptIn.confirm(token)).toMatchObject({ outcome: 'expired-or-unknown' });
  });

  it('refuses a link whose consent was withdrawn meanwhile, even when the link survived', async () => {
    const w = world();
    const token = await w.giveWithLink();
    w.later(60_000);
    // Recorded straight in the ledger: a stop whose revocation of links did not happen (another
    // server, a store that failed between the two writes).
    await w.decide('withdrawn');
    expect(await w.doubleOptIn.confirm(token)).toMatchObject({ outcome: 'revoked' });
    expect(await w.status()).toBe('withdrawn');
    expect(await w.stores.addresses.get(jane)).toBeUndefined();
  });

  it('refuses an older link once the person said yes again (it belongs to the old answer)', async () => {
    const w = world();
    const old = await w.giveWithLink();
    w.later(60_000);
    await w.decide('withdrawn');
    w.later(60_000);
    const fresh = await w.giveWithLink();
    expect(await w.doubleOptIn.confirm(old)).toMatchObject({ outcome: 'revoked' });
    expect(await w.status()).toBe('pending');
    expect(await w.doubleOptIn.confirm(fresh)).toMatchObject({ outcome: 'confirmed' });
  });

  it('revokes the pending links of what a one-click unsubscribe withdraws', async () => {
    const w = world();
    const token = await w.giveWithLink();
    const link = w.doubleOptIn.unsubscribeUrl(jane, 'newsletter', 'en');
    const signed = new URL(link).searchParams.get('token') ?? '';
    expect(await w.doubleOptIn.unsubscribe(signed, 'en')).toMatchObject({ outcome: 'withdrawn' });
    expect(await w.stores.confirmations.consume(hashConfirmationToken(token), T0)).toBeUndefined();
    expect(await w.doubleOptIn.confirm(token)).toMatchObject({ outcome: 'expired-or-unknown' });
    expect(await w.status()).toBe('withdrawn');
  });

  it('records an expiry only for a consent still pending: never after a withdrawal', async () => {
    const w = world();
    await w.giveWithLink();
    w.later(60_000);
    await w.decide('withdrawn');
    w.later(49 * 3_600_000);
    expect(await w.doubleOptIn.expire(new Date(T0.getTime() + 49 * 3_600_000))).toBe(0);
    // "Withdrawn" would otherwise become "unknown" and the purpose be asked again.
    expect(await w.status()).toBe('withdrawn');
    expect((await w.stores.ledger.history(jane)).map((e) => e.decision)).toEqual([
      'given',
      'withdrawn',
    ]);
  });

  it('records an unopened link as expired, not refused, and the purpose may be asked again', async () => {
    const w = world();
    await w.giveWithLink();
    w.later(49 * 3_600_000);
    expect(await w.doubleOptIn.expire(new Date(T0.getTime() + 49 * 3_600_000))).toBe(1);
    const last = (await w.stores.ledger.history(jane)).at(-1);
    expect(last).toMatchObject({ decision: 'expired', source: 'expiry', purposeId: 'newsletter' });
    expect(await w.status()).toBe('unknown');
  });
});
