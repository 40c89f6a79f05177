import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsentDecision } from '../consent/ledger.js';
import { parseCatalogue } from '../bot/platform/catalogue-file.js';
import { createTranslator } from '../bot/platform/i18n.js';
import raw from '../catalogue/default-catalogue.json' with { type: 'json' };
import enRights from '../locales/en/rights.json' with { type: 'json' };
import { openMemoryStores } from '../storage/stores.js';
import { catalogue, startTestBot, TEST_KEYS } from './harness.js';
import {
  AGENT,
  COMPLIANCE,
  customer,
  MARKETING,
  startServer,
  type Running,
} from './http-harness.js';
import { startSmtp } from './smtp-peer.js';

/**
 * Stop means stop, end to end through the real HTTP endpoint: double opt-in through a real SMTP peer,
 * one-click unsubscribe, contact permission after a stop, erasure and re-import, re-consent.
 */
const en = createTranslator()('en');
/** Header lines exactly as sent (mailparser's parsed headers fold unknown ones). */
const headerOf = (mail: { headerLines: readonly { key: string; line: string }[] }, name: string) =>
  mail.headerLines
    .filter((h) => h.key === name)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).trim())[0];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const running = await startServer(env);
  cleanups.push(() => running.close());
  return running;
}

async function permission(url: string, user: string, purpose: string) {
  const response = await fetch(
    `${url}/api/subjects/webchat/${user}/contact-permissions?purpose=${purpose}`,
    { headers: { authorization: `Bearer ${MARKETING}` } },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as { allowed: boolean; reason: string };
}

async function status(url: string, user: string, purpose: string): Promise<string | undefined> {
  const response = await fetch(`${url}/api/subjects/webchat/${user}/consents`, {
    headers: { authorization: `Bearer ${COMPLIANCE}` },
  });
  const body = (await response.json()) as { purposes: { purposeId: string; status: string }[] };
  return body.purposes.find((p) => p.purposeId === purpose)?.status;
}

describe('double opt-in by e-mail, through a real SMTP peer', () => {
  it('keeps the newsletter pending until the link is confirmed, then one click unsubscribes', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const running = await server({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    const person = customer(running.url, 'ada', 'en-GB');
    await person.join();

    expect((await person.say('yes'))[0]?.text).toBe(
      en('address.ask', { title: catalogue.purposes[0]?.title.en }),
    );
    const sent = await person.say('ada@example.org');
    expect(sent[0]?.text).toContain('a***@example.org');
    expect(await status(running.url, 'ada', 'newsletter')).toBe('pending');
    expect(await permission(running.url, 'ada', 'newsletter')).toMatchObject({
      allowed: false,
      reason: 'pending-confirmation',
    });

    // The e-mail, as the person's mail server receives it.
    const mail = await simpleParser((await smtp.next()).raw);
    expect(headerOf(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const confirmUrl = /https?:\/\/\S+\/confirm\?token=[^\s&]+&lang=en/.exec(mail.text ?? '')?.[0];
    expect(confirmUrl).toBeDefined();

    // Opening the link changes nothing (a mail scanner may do it); pressing the button confirms.
    await fetch(confirmUrl!.replace(/^https?:\/\/[^/]+/, running.url));
    expect(await status(running.url, 'ada', 'newsletter')).toBe('pending');
    const confirmed = await fetch(confirmUrl!.replace(/^https?:\/\/[^/]+/, running.url), {
      method: 'POST',
    });
    expect(confirmed.status).toBe(200);
    expect(await status(running.url, 'ada', 'newsletter')).toBe('granted');
    expect(await permission(running.url, 'ada', 'newsletter')).toEqual(
      expect.objectContaining({ allowed: true, reason: 'granted' }),
    );
    // The link works once.
    const again = await fetch(confirmUrl!.replace(/^https?:\/\/[^/]+/, running.url), {
      method: 'POST',
    });
    expect(again.status).toBe(410);

    // RFC 8058: the mail provider POSTs the List-Unsubscribe URL.
    const listUnsubscribe = /<([^>]+)>/.exec(headerOf(mail, 'list-unsubscribe') ?? '')?.[1];
    const oneClick = await fetch(listUnsubscribe!.replace(/^https?:\/\/[^/]+/, running.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await status(running.url, 'ada', 'newsletter')).toBe('withdrawn');
    expect(await permission(running.url, 'ada', 'newsletter')).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
    });
  });

  it('confirms a stop by e-mail when the address is verified', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const running = await server({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    const person = customer(running.url, 'grace', 'en-GB');
    await person.join();
    await person.say('yes');
    await person.say('grace@example.org');
    const mail = await simpleParser((await smtp.next()).raw);
    const link = /https?:\/\/\S+\/confirm\?\S+/.exec(mail.text ?? '')?.[0] ?? '';
    await fetch(link.replace(/^https?:\/\/[^/]+/, running.url), { method: 'POST' });

    expect(await person.say('STOP')).toHaveLength(1);
    const confirmation = await smtp.next();
    expect(confirmation.rcptTo).toEqual(['grace@example.org']);
    const parsed = await simpleParser(confirmation.raw);
    expect(parsed.subject).toBe(en('mail.withdrawal.subject'));
    expect(headerOf(parsed, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
  });
});

describe('a link mailed before a stop', () => {
  async function pendingNewsletter(user: string) {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const running = await server({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    const person = customer(running.url, user, 'en-GB');
    await person.join();
    await person.say('yes');
    await person.say(`${user}@example.org`);
    const mail = await simpleParser((await smtp.next()).raw);
    const link = /https?:\/\/\S+\/confirm\?\S+/.exec(mail.text ?? '')?.[0] ?? '';
    expect(link).not.toBe('');
    return { running, person, link: link.replace(/^https?:\/\/[^/]+/, running.url) };
  }

  it('cannot undo the stop: the link is refused, the purpose stays withdrawn', async () => {
    const { running, person, link } = await pendingNewsletter('linus');
    expect(await person.say('stop')).toHaveLength(1);
    const pressed = await fetch(link, { method: 'POST' });
    expect(pressed.status).toBe(410);
    const page = await pressed.text();
    expect(page).toContain(en('pages.expired.title'));
    expect(page).not.toContain(en('pages.confirmed.title'));
    expect(await status(running.url, 'linus', 'newsletter')).toBe('withdrawn');
    expect(await permission(running.url, 'linus', 'newsletter')).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
    });
  });
});

describe('contact permission right after a stop', () => {
  it('flips to false on the very next call', async () => {
    const running = await server();
    const person = customer(running.url, 'linus', 'en-GB');
    await person.join();
    await person.say('no'); // newsletter
    await person.say('yes'); // personalised offers
    expect((await permission(running.url, 'linus', 'personalised-offers')).allowed).toBe(true);
    await person.say('stop');
    expect(await permission(running.url, 'linus', 'personalised-offers')).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
    });
  });
});

describe('erasure and suppression', () => {
  it('erases on request, keeps pseudonymous proof, and a re-imported person stays suppressed', async () => {
    const running = await server();
    const person = customer(running.url, 'margaret', 'en-GB');
    await person.join();
    await person.say('no');
    await person.say('yes'); // personalised offers
    const confirm = await person.say('delete my data');
    expect(confirm[0]?.text).toBe(en('erasure.confirm'));
    const done = await person.say(en('button.eraseConfirm'));
    expect(done).toHaveLength(1);
    expect(done[0]?.text).toContain(enRights.erasure.keptProof.other.replace('{{n}}', '2'));
    expect(done[0]?.text).toContain(enRights.erasure.after);

    // Access after erasure: no conversations, the proof kept under the pseudonym.
    const exported = await fetch(`${running.url}/api/subjects/webchat/margaret/export`, {
      headers: { authorization: `Bearer ${AGENT}` },
    });
    const data = (await exported.json()) as {
      transcripts: { activities: number };
      suppression: { listed: boolean };
      history: unknown[];
    };
    expect(data.transcripts.activities).toBe(0);
    expect(data.suppression.listed).toBe(true);
    expect(data.history).toHaveLength(2);

    // A marketing import records the person again as consenting: still never contacted.
    const subject = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'margaret' });
    const imported: ConsentDecision = {
      subject,
      purposeId: 'personalised-offers',
      decision: 'given',
      purposeVersion: 1,
      catalogueVersion: catalogue.version,
      noticeHash: null,
      locale: 'en',
      channelId: 'webchat',
      conversationId: 'crm-import',
      activityId: 'row-1',
      source: 'api',
      explicit: false,
    };
    await running.stores.ledger.append([imported], new Date());
    expect(await status(running.url, 'margaret', 'personalised-offers')).toBe('granted');
    expect(await permission(running.url, 'margaret', 'personalised-offers')).toMatchObject({
      allowed: false,
      reason: 'suppressed',
    });
  });
});

describe('re-consent when a notice changes (a yes covers the text it was given to)', () => {
  it('asks again only for the purpose whose notice version went up', async () => {
    const stores = openMemoryStores();
    const before = startTestBot({ stores });
    await before.join();
    for (const answer of ['no', 'yes', 'no', 'no', 'no']) await before.say(answer);

    const changed = parseCatalogue({
      ...raw,
      purposes: raw.purposes.map((p) => (p.id === 'analytics' ? { ...p, version: 2 } : p)),
    });
    const after = startTestBot({ stores, catalogue: changed, conversation: 'conversation-2' });
    const opening = await after.join();
    expect(opening[0]?.text).toBe(en('welcome.back', { controller: catalogue.controller.name }));
    expect(opening[1]?.text).toContain(
      changed.purposes.find((p) => p.id === 'analytics')?.question.en,
    );
    const answered = await after.say('yes');
    // Only analytics was open: the round ends with the summary.
    expect(answered.map((s) => s.text).join('\n')).toContain(en('summary.intro'));
  });
});
