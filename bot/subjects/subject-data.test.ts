import type { Activity } from 'botbuilder';
import { createHmac } from 'node:crypto';
import i18next from 'i18next';
import { beforeEach, describe, expect, it } from 'vitest';
import { LOCALES, type Locale } from '../../consent/catalogue.js';
import { pendingConfirmationOf } from '../../consent/confirmations.js';
import { contactPermission } from '../../consent/contact-permission.js';
import {
  deriveStatuses,
  type ConsentDecision,
  type ConsentLedger,
  type Decision,
} from '../../consent/ledger.js';
import type { Subject } from '../../consent/subject.js';
import {
  erasureMarkerHash,
  suppressionEntriesFor,
  suppressionHash,
  userIdentifier,
  type SuppressionList,
} from '../../consent/suppression.js';
import enRights from '../../locales/en/rights.json' with { type: 'json' };
import frRights from '../../locales/fr/rights.json' with { type: 'json' };
import { MemoryContactAddresses } from '../../storage/memory/memory-contact-addresses.js';
import { openMemoryStores, type Stores } from '../../storage/stores.js';
import { activityOf } from '../../test/transcript-contract.js';
import { catalogue } from '../../test/catalogue.js';
import { ConversationMemory, type TurnFacts } from '../chat/conversation-memory.js';
import type { Translate } from '../platform/i18n.js';
import {
  conversationStateKey,
  describeErasure,
  eraseSubject,
  exportSubject,
  KEPT_CONSENT_EVENTS_WHY,
  KEPT_SUPPRESSION_WHY,
  SUBJECT_EXPORT_FORMAT,
  summariseExport,
  type ErasureReport,
  type SubjectDataDeps,
} from './subject-data.js';

const SECRET = 'subject-data-test-suppression-secret-0123';
const AT = new Date('2026-11-02T09:30:00.000Z');
const LATER = new Date('2026-11-20T17:45:00.000Z');

/** The ledger's pseudonym, as bot/platform/secrets.ts makes it: a keyed hash, never the raw id. */
const ledgerSubjectOf = (subject: Subject): Subject => ({
  channelId: subject.channelId,
  userId: `p:${createHmac('sha256', 'ledger-key-for-tests')
    .update(`${subject.channelId}|${subject.userId}`)
    .digest('base64url')}`,
});

const jane: Subject = { channelId: 'webchat', userId: 'jane|42' };
const bob: Subject = { channelId: 'webchat', userId: 'jane|4' };
const JANE_EMAIL = 'Jane.Doe@Example.com';

/** A translator holding only the rights namespace, mounted under `rights.` as the app mounts it. */
function rightsTranslator(): (locale: Locale) => Translate {
  const instance = i18next.createInstance();
  void instance.init({
    resources: {
      en: { translation: { rights: enRights } },
      fr: { translation: { rights: frRights } },
    },
    lng: 'en',
    fallbackLng: false,
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return (locale) => {
    const t = instance.getFixedT(locale);
    return (key, values) => t(key, values ?? {});
  };
}
const translator = rightsTranslator();

interface World {
  readonly stores: Stores;
  readonly addresses: MemoryContactAddresses;
  readonly deps: SubjectDataDeps;
  readonly memory: ConversationMemory;
}

function worldOf(overrides: Partial<SubjectDataDeps> = {}): World {
  const stores = openMemoryStores();
  const addresses = new MemoryContactAddresses();
  const deps: SubjectDataDeps = {
    catalogue,
    ledger: stores.ledger,
    transcripts: stores.transcripts,
    addresses,
    confirmations: stores.confirmations,
    suppression: stores.suppression,
    botState: stores.botState,
    // As the app computes them: the user id, and the verified address when one is on file.
    suppressionHashesOf: async (subject) => {
      const address = await addresses.get(ledgerSubjectOf(subject));
      return [
        suppressionHash(SECRET, 'user-id', userIdentifier(subject)),
        ...(address ? [suppressionHash(SECRET, 'email', address.email)] : []),
      ];
    },
    suppressionEntriesOf: (subject, email, at) =>
      suppressionEntriesFor(SECRET, { subject, emails: email ? [email] : [] }, 'erasure', at),
    now: () => AT,
    ...overrides,
  };
  return {
    stores,
    addresses,
    deps,
    memory: new ConversationMemory(stores.botState, stores.ledger),
  };
}

let activityCount = 0;
async function decide(
  ledger: ConsentLedger,
  subject: Subject,
  purposeId: string,
  decision: Decision,
  at = AT,
): Promise<void> {
  const purpose = catalogue.purposes.find((p) => p.id === purposeId);
  if (!purpose) throw new Error(`no purpose ${purposeId}`);
  activityCount += 1;
  const entry: ConsentDecision = {
    subject: ledgerSubjectOf(subject),
    purposeId,
    decision,
    purposeVersion: purpose.version,
    catalogueVersion: catalogue.version,
    noticeHash: null,
    locale: 'en',
    channelId: subject.channelId,
    conversationId: 'c-1',
    activityId: `decision-${activityCount}`,
    source: 'conversation',
    explicit: false,
  };
  await ledger.append([entry], at);
}

const said = (subject: Subject, conversationId: string, text: string): Activity =>
  activityOf(subject.channelId, conversationId, {
    from: { id: subject.userId, name: 'Customer', role: 'user' },
    recipient: { id: 'consent-bot', name: 'Consent bot', role: 'bot' },
    text,
  });
const told = (subject: Subject, conversationId: string, text: string): Activity =>
  activityOf(subject.channelId, conversationId, {
    from: { id: 'consent-bot', name: 'Consent bot', role: 'bot' },
    recipient: { id: subject.userId, name: 'Customer', role: 'user' },
    text,
  });

const factsOf = (subject: Subject, conversationId: string): TurnFacts => ({
  subject: ledgerSubjectOf(subject),
  user: subject,
  channelId: subject.channelId,
  conversationId,
  activityId: `turn-${conversationId}`,
});

async function rememberConversation(world: World, subject: Subject, conversationId: string) {
  await world.memory.update(factsOf(subject, conversationId), ({ data }) =>
    Promise.resolve({ data: { ...data, locale: 'en' as const }, result: undefined }),
  );
}

/** Jane: decisions, a verified address, a link waiting, three conversations; Bob: his own. */
async function seed(world: World): Promise<{ tokenHash: string; janeActivities: Activity[] }> {
  const { stores, addresses } = world;
  await decide(stores.ledger, jane, 'analytics', 'given');
  await decide(stores.ledger, jane, 'newsletter', 'given');
  await decide(stores.ledger, jane, 'location', 'refused');
  await decide(stores.ledger, jane, 'analytics', 'withdrawn', LATER);
  await decide(stores.ledger, bob, 'analytics', 'given');
  await addresses.set(ledgerSubjectOf(jane), {
    email: JANE_EMAIL,
    verifiedAt: AT.toISOString(),
  });
  await addresses.set(ledgerSubjectOf(bob), {
    email: 'bob@example.com',
    verifiedAt: AT.toISOString(),
  });
  const { confirmation } = pendingConfirmationOf(
    {
      subject: ledgerSubjectOf(jane),
      purposeId: 'newsletter',
      email: JANE_EMAIL,
      locale: 'en',
    },
    AT,
  );
  await stores.confirmations.create(confirmation);
  const janeActivities = [
    said(jane, 'c-1', 'hello, my secret text'),
    told(jane, 'c-1', 'Hello! May we send you our newsletter?'),
    said(jane, 'c-2', 'what do you collect?'),
    said(jane, 'group', 'jane in a group'),
  ];
  for (const activity of [
    ...janeActivities.slice(0, 3),
    said(bob, 'group', 'bob in the group'),
    janeActivities[3] as Activity,
    said(bob, 'bob-only', 'bob alone'),
    told(bob, 'bob-only', 'reply to bob'),
  ]) {
    await stores.transcripts.logActivity(activity);
  }
  for (const conversationId of ['c-1', 'c-2'])
    await rememberConversation(world, jane, conversationId);
  await rememberConversation(world, bob, 'bob-only');
  return { tokenHash: confirmation.tokenHash, janeActivities };
}

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const stateKeys = (subject: Subject, ...conversations: string[]) =>
  conversations.map((c) => conversationStateKey(subject.channelId, c));

let world: World;
beforeEach(() => {
  world = worldOf();
});

describe('exportSubject (GDPR art. 15)', () => {
  it('holds everything stored about the person, and nothing about anyone else', async () => {
    const { janeActivities } = await seed(world);
    const exp = await exportSubject(world.deps, jane, ledgerSubjectOf(jane));

    expect(exp).toMatchObject({
      format: SUBJECT_EXPORT_FORMAT,
      generatedAt: AT.toISOString(),
      controller: catalogue.controller,
      catalogueVersion: catalogue.version,
      subject: jane,
      contactAddress: { email: JANE_EMAIL, verifiedAt: AT.toISOString() },
      pendingConfirmations: 1,
      suppression: { listed: false, entries: [] },
    });
    expect(Object.fromEntries(exp.purposes.map((p) => [p.purposeId, p.status]))).toEqual({
      newsletter: 'pending',
      'personalised-offers': 'unknown',
      analytics: 'withdrawn',
      location: 'refused',
      'partner-sharing': 'unknown',
    });
    expect(exp.purposes.find((p) => p.purposeId === 'analytics')).toMatchObject({
      decidedAt: LATER.toISOString(),
      decidedOnVersion: 1,
      currentVersion: 1,
      title: catalogue.purposes.find((p) => p.id === 'analytics')?.title,
    });

    // The whole history, as the ledger has it, but with the person's own ids.
    const history = await world.stores.ledger.history(ledgerSubjectOf(jane));
    expect(exp.history).toHaveLength(4);
    expect(exp.history).toEqual(history.map((event) => ({ ...event, subject: jane })));
    expect(JSON.stringify(exp.history)).not.toContain(ledgerSubjectOf(jane).userId);

    expect(exp.transcripts.activities).toBe(4);
    expect(
      exp.transcripts.conversations.map((c) => [c.conversationId, c.activities.length]),
    ).toEqual([
      ['c-1', 2],
      ['c-2', 1],
      ['group', 1],
    ]);
    expect(json(exp.transcripts.conversations.flatMap((c) => c.activities))).toEqual(
      json(janeActivities),
    );
    expect(JSON.stringify(exp)).not.toContain('bob');
    expect(JSON.stringify(exp)).not.toContain('jane|4"');
    // A JSON document, whole.
    expect(json(exp)).toEqual(json(exp));
  });

  it('is a valid, nearly empty export for a person we know nothing about', async () => {
    const stranger = { channelId: 'msteams', userId: 'stranger' };
    const exp = await exportSubject(world.deps, stranger, ledgerSubjectOf(stranger));
    expect(exp).toMatchObject({
      subject: stranger,
      history: [],
      contactAddress: null,
      pendingConfirmations: 0,
      suppression: { listed: false, entries: [] },
      transcripts: { activities: 0, conversations: [] },
    });
    expect(exp.purposes.every((p) => p.status === 'unknown')).toBe(true);
  });

  it.each(LOCALES)(
    'summarises in %s: statuses and counts, never the messages themselves',
    async (locale) => {
      await seed(world);
      const exp = await exportSubject(world.deps, jane, ledgerSubjectOf(jane));
      const lines = summariseExport(exp, translator(locale), locale);
      const text = lines.join('\n');
      expect(lines.length).toBeGreaterThanOrEqual(8);
      for (const purpose of catalogue.purposes) expect(text).toContain(purpose.title[locale]);
      expect(text).toContain(locale === 'en' ? 'withdrawn' : 'retiré');
      expect(text).toContain('4');
      expect(text).toContain('J***@Example.com');
      expect(text).not.toContain(JANE_EMAIL);
      expect(text).not.toContain('secret text');
      expect(text).not.toMatch(/rights\.|\{\{|undefined|NaN/);
      expect(text).toContain(locale === 'en' ? 'November 20, 2026' : '20 novembre 2026');
    },
  );

  it.each(LOCALES)('summarises a stranger in %s without a gap or a raw key', async (locale) => {
    const stranger = { channelId: 'msteams', userId: 'stranger' };
    const exp = await exportSubject(world.deps, stranger, ledgerSubjectOf(stranger));
    const text = summariseExport(exp, translator(locale), locale).join('\n');
    expect(text).not.toMatch(/rights\.|\{\{|undefined|NaN/);
  });
});

describe('eraseSubject (GDPR art. 17)', () => {
  const janeHashes = () => [
    suppressionHash(SECRET, 'user-id', userIdentifier(jane)),
    suppressionHash(SECRET, 'email', JANE_EMAIL),
  ];

  it('deletes transcripts, address, confirmations and state; keeps the ledger; lists her', async () => {
    const { tokenHash } = await seed(world);
    const { stores, addresses, deps } = world;

    const report = await eraseSubject(deps, jane, ledgerSubjectOf(jane), LATER);

    expect(report).toEqual({
      erasedAt: LATER.toISOString(),
      erased: {
        // c-1 (2), c-2 (1) and the group conversation, whole (Bob's line in it too).
        transcriptActivities: 5,
        contactAddress: true,
        pendingConfirmations: 1,
        conversationStates: 2,
      },
      kept: {
        consentEvents: { count: 4, form: 'pseudonymised', why: KEPT_CONSENT_EVENTS_WHY },
        suppression: { kinds: ['user-id', 'email'], form: 'keyed-hash', why: KEPT_SUPPRESSION_WHY },
      },
    } satisfies ErasureReport);
    expect(report.kept.consentEvents.why).toContain('7(1)');

    expect(await stores.transcripts.activitiesOfUser('webchat', jane.userId)).toEqual([]);
    expect((await stores.transcripts.getTranscriptActivities('webchat', 'group')).items).toEqual(
      [],
    );
    expect(await addresses.get(ledgerSubjectOf(jane))).toBeUndefined();
    expect(await stores.confirmations.consume(tokenHash, AT)).toBeUndefined();
    expect(await stores.botState.read(stateKeys(jane, 'c-1', 'c-2'))).toEqual({});
    // The ledger is proof: untouched, and it never held her raw id.
    const history = await stores.ledger.history(ledgerSubjectOf(jane));
    expect(history).toHaveLength(4);
    expect(JSON.stringify(history)).not.toContain(jane.userId);
    // The suppression list knows her by keyed hashes only.
    const listed = await stores.suppression.anyOf(janeHashes());
    expect(listed.map((e) => [e.kind, e.reason, e.addedAt])).toEqual([
      ['user-id', 'erasure', LATER.toISOString()],
      ['email', 'erasure', LATER.toISOString()],
    ]);
    // Her ledger pseudonym too: verification tells this deletion of recent transcripts from
    // tampering by it (bot/proof/transcript-links.ts).
    const marker = await stores.suppression.anyOf([
      erasureMarkerHash(SECRET, ledgerSubjectOf(jane)),
    ]);
    expect(marker.map((e) => [e.kind, e.reason, e.addedAt])).toEqual([
      ['user-id', 'erasure', LATER.toISOString()],
    ]);
  });

  it('leaves Bob alone, though his id is a prefix of hers and he shared a conversation', async () => {
    await seed(world);
    const { stores, addresses, deps } = world;
    await eraseSubject(deps, jane, ledgerSubjectOf(jane), LATER);
    const bobs = await stores.transcripts.activitiesOfUser('webchat', bob.userId);
    expect(bobs.map((a) => a.text)).toEqual(['bob alone', 'reply to bob']);
    expect(await addresses.get(ledgerSubjectOf(bob))).toEqual({
      email: 'bob@example.com',
      verifiedAt: AT.toISOString(),
    });
    expect(Object.keys(await stores.botState.read(stateKeys(bob, 'bob-only')))).toHaveLength(1);
    expect(await stores.ledger.history(ledgerSubjectOf(bob))).toHaveLength(1);
    const bobHash = suppressionHash(SECRET, 'user-id', userIdentifier(bob));
    expect(await stores.suppression.anyOf([bobHash])).toEqual([]);
  });

  it('is harmless a second time: nothing more deleted, the first entries kept', async () => {
    await seed(world);
    const { stores, deps } = world;
    await eraseSubject(deps, jane, ledgerSubjectOf(jane), AT);
    const again = await eraseSubject(deps, jane, ledgerSubjectOf(jane), LATER);
    expect(again.erased).toEqual({
      transcriptActivities: 0,
      contactAddress: false,
      pendingConfirmations: 0,
      conversationStates: 0,
    });
    expect(again.kept.consentEvents.count).toBe(4);
    // The address is gone, so only the id can be listed again; the e-mail entry stays as it was.
    expect(again.kept.suppression.kinds).toEqual(['user-id']);
    const listed = await stores.suppression.anyOf(janeHashes());
    expect(listed.map((e) => [e.kind, e.addedAt])).toEqual([
      ['user-id', AT.toISOString()],
      ['email', AT.toISOString()],
    ]);
    expect(await stores.ledger.history(ledgerSubjectOf(jane))).toHaveLength(4);
  });

  it('blocks a re-imported person: same raw id, or the same address spelt otherwise', async () => {
    await seed(world);
    const { stores, deps } = world;
    await eraseSubject(deps, jane, ledgerSubjectOf(jane), LATER);

    // A marketing import brings Jane back with her old channel id and her address.
    const hashes = await deps.suppressionHashesOf({ channelId: 'webchat', userId: 'jane|42' });
    expect(await stores.suppression.anyOf(hashes)).toHaveLength(1);
    expect(
      await stores.suppression.anyOf([suppressionHash(SECRET, 'email', ' JANE.DOE@example.COM ')]),
    ).toHaveLength(1);

    // Even if her old ledger says yes to something, she is not to be contacted.
    await decide(stores.ledger, jane, 'personalised-offers', 'given', LATER);
    const status = deriveStatuses(
      catalogue,
      await stores.ledger.latest(ledgerSubjectOf(jane)),
    ).find((s) => s.purposeId === 'personalised-offers');
    const suppressed = (await stores.suppression.anyOf(hashes)).length > 0;
    const purpose = catalogue.purposes.find((p) => p.id === 'personalised-offers');
    expect(contactPermission({ purpose, status, suppressed })).toEqual({
      allowed: false,
      reason: 'suppressed',
    });

    // And her export says so.
    const exp = await exportSubject(deps, jane, ledgerSubjectOf(jane));
    expect(exp.suppression).toEqual({
      listed: true,
      entries: [{ kind: 'user-id', reason: 'erasure', addedAt: LATER.toISOString() }],
    });
    expect(exp.contactAddress).toBeNull();
    expect(exp.transcripts.activities).toBe(0);
  });

  it('finds and erases an address filed under the raw subject too', async () => {
    await world.addresses.set(jane, { email: JANE_EMAIL, verifiedAt: AT.toISOString() });
    const report = await eraseSubject(world.deps, jane, ledgerSubjectOf(jane), LATER);
    expect(report.erased.contactAddress).toBe(true);
    expect(report.kept.suppression.kinds).toEqual(['user-id', 'email']);
    expect(await world.addresses.get(jane)).toBeUndefined();
  });

  it('leaves the state of the conversation it is asked in, which that turn is writing', async () => {
    await seed(world);
    const report = await eraseSubject(world.deps, jane, ledgerSubjectOf(jane), LATER, {
      currentConversationId: 'c-2',
    });
    expect(report.erased.conversationStates).toBe(1);
    const left = await world.stores.botState.read(stateKeys(jane, 'c-1', 'c-2'));
    expect(Object.keys(left)).toEqual(stateKeys(jane, 'c-2'));
  });

  it('lists the person before deleting anything: a failure half-way leaves them suppressed', async () => {
    const failing = worldOf();
    await seed(failing);
    const broken = {
      ...failing.deps,
      transcripts: {
        activitiesOfUser: failing.deps.transcripts.activitiesOfUser.bind(
          failing.stores.transcripts,
        ),
        deleteForUser: () => Promise.reject(new Error('disk full')),
      },
    };
    await expect(eraseSubject(broken, jane, ledgerSubjectOf(jane), LATER)).rejects.toThrow(
      'disk full',
    );
    expect(await failing.stores.suppression.anyOf(janeHashes())).toHaveLength(2);
    // The address is still there for a retry, which then completes.
    expect(await failing.addresses.get(ledgerSubjectOf(jane))).toBeDefined();
    const retried = await eraseSubject(failing.deps, jane, ledgerSubjectOf(jane), LATER);
    expect(retried.erased).toMatchObject({ transcriptActivities: 5, contactAddress: true });
  });

  it('deletes nothing when the suppression list cannot be written', async () => {
    const { tokenHash } = await seed(world);
    const refusing: SuppressionList = {
      add: () => Promise.reject(new Error('store down')),
      anyOf: (hashes) => world.stores.suppression.anyOf(hashes),
    };
    await expect(
      eraseSubject({ ...world.deps, suppression: refusing }, jane, ledgerSubjectOf(jane), LATER),
    ).rejects.toThrow('store down');
    expect(await world.stores.transcripts.activitiesOfUser('webchat', jane.userId)).toHaveLength(4);
    expect(await world.addresses.get(ledgerSubjectOf(jane))).toBeDefined();
    expect(await world.stores.confirmations.consume(tokenHash, AT)).toBeDefined();
  });

  it('works without conversation state to clean', async () => {
    const { botState: _, ...withoutState } = world.deps;
    await seed(world);
    const report = await eraseSubject(withoutState, jane, ledgerSubjectOf(jane), LATER);
    expect(report.erased).toMatchObject({ transcriptActivities: 5, conversationStates: 0 });
  });
});

describe('describeErasure', () => {
  const reportOf = (
    erased: Partial<ErasureReport['erased']> = {},
    consentEvents = 3,
    kinds: ErasureReport['kept']['suppression']['kinds'] = ['user-id', 'email'],
  ): ErasureReport => ({
    erasedAt: AT.toISOString(),
    erased: {
      transcriptActivities: 12,
      contactAddress: true,
      pendingConfirmations: 0,
      conversationStates: 0,
      ...erased,
    },
    kept: {
      consentEvents: { count: consentEvents, form: 'pseudonymised', why: '' },
      suppression: { kinds, form: 'keyed-hash', why: '' },
    },
  });

  it('says in plain English what went, what stayed, and why', () => {
    expect(describeErasure(reportOf(), translator('en'))).toBe(
      [
        'We deleted: your conversations (12 messages), your e-mail address.',
        'We kept proof of your 3 consent decisions, without your name or id. The law requires us to be able to prove consent (GDPR art. 7(1)).',
        'We also kept a coded fingerprint of your id and e-mail, so we never contact you by mistake.',
        'We will not contact you again. If you write to us, we keep that new conversation like any other.',
      ].join('\n'),
    );
  });

  it('says it in French too', () => {
    const text = describeErasure(
      reportOf({ transcriptActivities: 1, pendingConfirmations: 2, conversationStates: 1 }, 1),
      translator('fr'),
    );
    expect(text).toContain(
      "Nous avons supprimé : vos conversations (1 message), ce que l'assistant en avait retenu, 2 liens de confirmation inutilisés, votre adresse e-mail.",
    );
    expect(text).toContain('la preuve de votre choix de consentement');
    expect(text).toContain('RGPD art. 7(1)');
    expect(text).toContain('empreinte codée de votre identifiant et de votre e-mail');
  });

  it.each(LOCALES)('has words for a second erasure in %s: nothing left, the id kept', (locale) => {
    const text = describeErasure(
      reportOf({ transcriptActivities: 0, contactAddress: false }, 0, ['user-id']),
      translator(locale),
    );
    expect(text.split('\n')).toHaveLength(3);
    expect(text).not.toMatch(/rights\.|\{\{|undefined|NaN/);
    expect(text).not.toContain(locale === 'en' ? 'e-mail, so' : 'de votre e-mail');
  });
});

describe('locales/*/rights.json', () => {
  function flatten(resource: object, prefix = ''): Map<string, string> {
    const flat = new Map<string, string>();
    for (const [key, value] of Object.entries(resource)) {
      if (typeof value === 'string') flat.set(`${prefix}${key}`, value);
      else for (const entry of flatten(value as object, `${prefix}${key}.`)) flat.set(...entry);
    }
    return flat;
  }
  const en = flatten(enRights);
  const fr = flatten(frRights);
  const placeholders = (value: string) =>
    [...value.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1]).sort();

  it('have the same keys and placeholders in en and fr, none empty', () => {
    expect([...fr.keys()]).toEqual([...en.keys()]);
    for (const [key, value] of en) {
      expect(placeholders(fr.get(key) ?? ''), key).toEqual(placeholders(value));
      expect(value.trim(), key).not.toBe('');
      expect(fr.get(key)?.trim(), key).not.toBe('');
    }
  });

  it('keep every sentence to at most 25 words, as locales.test.ts asks', () => {
    for (const [key, value] of [...en, ...fr]) {
      for (const sentence of value.split(/[.!?:](?=\s|$)|\n/)) {
        const words = sentence.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
        expect(words, `${key}: ${sentence}`).toBeLessThanOrEqual(25);
      }
    }
  });
});
