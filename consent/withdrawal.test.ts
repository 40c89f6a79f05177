import { describe, expect, it } from 'vitest';
import { decisionAbout, deriveStatuses } from './ledger.js';
import type { Subject } from './subject.js';
import { pendingConfirmationOf } from './confirmations.js';
import { recordWithdrawal, withdrawnPurposes, type WithdrawalOrigin } from './withdrawal.js';
import { catalogue } from '../test/harness.js';
import { openMemoryStores } from '../storage/stores.js';

/** The withdrawal rule and its recording, on the real (memory) ledger and confirmation store. */
const T0 = new Date('2026-11-02T09:30:00.000Z');
const jane: Subject = { channelId: 'webchat', userId: 'pseudonym-of-jane' };
const IDS = catalogue.purposes.map((p) => p.id);
const origin: WithdrawalOrigin = {
  locale: 'en',
  channelId: 'webchat',
  conversationId: 'conversation-1',
  activityId: 'activity-stop',
  source: 'opt-out',
};

describe('which purposes a stop withdraws', () => {
  it('withdraws every purpose of the data map on a stop that names none', () => {
    expect(withdrawnPurposes(catalogue, 'all')).toEqual(IDS);
  });

  it('withdraws only the purposes named, in the order of the data map, unknown ones left out', () => {
    const [first, second] = IDS;
    expect(withdrawnPurposes(catalogue, [second!, 'no-such-purpose', first!])).toEqual([
      first,
      second,
    ]);
    expect(withdrawnPurposes(catalogue, [])).toEqual([]);
  });
});

describe('recording a withdrawal', () => {
  it('records a withdrawal of each purpose, even one already off, and revokes its pending links', async () => {
    const stores = openMemoryStores();
    const [newsletter, other] = catalogue.purposes;
    const refused = decisionAbout(catalogue, other!, {
      subject: jane,
      decision: 'refused',
      noticeHash: null,
      ...origin,
      activityId: 'activity-no',
      source: 'conversation',
      explicit: false,
    });
    await stores.ledger.append([refused], T0);
    const { confirmation } = pendingConfirmationOf(
      { subject: jane, purposeId: newsletter!.id, email: 'jane@example.org', locale: 'en' },
      T0,
      3_600_000,
    );
    await stores.confirmations.create(confirmation);

    const done = await recordWithdrawal(stores.ledger, stores.confirmations, catalogue, {
      subject: jane,
      scope: 'all',
      origin,
      at: T0,
    });

    expect(done.purposeIds).toEqual(IDS);
    expect(done.linksNotRevoked).toBeUndefined();
    const statuses = deriveStatuses(catalogue, await stores.ledger.latest(jane));
    expect(statuses.map((s) => s.status)).toEqual(IDS.map(() => 'withdrawn'));
    expect(await stores.confirmations.deleteForSubject(jane)).toBe(0);
  });

  it('says which purposes were in force just before it: only given ones, not refusals', async () => {
    const stores = openMemoryStores();
    const [given, refused] = catalogue.purposes;
    const decide = (purpose: typeof given, decision: 'given' | 'refused') =>
      decisionAbout(catalogue, purpose!, {
        subject: jane,
        decision,
        noticeHash: 'h',
        locale: 'en',
        channelId: 'webchat',
        conversationId: 'conversation-1',
        activityId: `activity-${decision}`,
        source: 'conversation',
        explicit: false,
      });
    await stores.ledger.append([decide(given, 'given'), decide(refused, 'refused')], T0);

    const done = await recordWithdrawal(stores.ledger, stores.confirmations, catalogue, {
      subject: jane,
      scope: 'all',
      origin,
      at: T0,
    });

    expect(done.purposeIds).toEqual(IDS);
    expect(done.inForce).toEqual([given!.id]);
    // Stopped again: nothing is in force any more, and the ledger still records the statement.
    const again = await recordWithdrawal(stores.ledger, stores.confirmations, catalogue, {
      subject: jane,
      scope: 'all',
      origin: { ...origin, activityId: 'activity-stop-again' },
      at: T0,
    });
    expect(again.inForce).toEqual([]);
    expect(again.events.filter((e) => e.decision === 'withdrawn')).toHaveLength(IDS.length);
  });

  it('moves the ledger head every time, so a concurrent decision made before it conflicts', async () => {
    const stores = openMemoryStores();
    const scope = [IDS[0]!];
    await recordWithdrawal(stores.ledger, stores.confirmations, catalogue, {
      subject: jane,
      scope,
      origin,
      at: T0,
    });
    const head = await stores.ledger.head(jane);
    await recordWithdrawal(stores.ledger, stores.confirmations, catalogue, {
      subject: jane,
      scope,
      origin: { ...origin, activityId: 'activity-stop-again' },
      at: T0,
    });
    expect(await stores.ledger.head(jane)).toBe(head + 1);
  });

  it('reports links it could not revoke, and still holds the withdrawal', async () => {
    const stores = openMemoryStores();
    const failing = {
      deleteForSubject: () => Promise.reject(new Error('store down')),
    };
    const done = await recordWithdrawal(stores.ledger, failing, catalogue, {
      subject: jane,
      scope: [IDS[0]!],
      origin,
      at: T0,
    });
    expect(done.linksNotRevoked).toBeInstanceOf(Error);
    const statuses = deriveStatuses(catalogue, await stores.ledger.latest(jane));
    expect(statuses.find((s) => s.purposeId === IDS[0])?.status).toBe('withdrawn');
  });
});
