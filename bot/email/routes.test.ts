import { randomBytes } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import type restify from 'restify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Locale } from '../../consent/catalogue.js';
import { newConfirmationToken } from '../../consent/confirmations.js';
import enPages from '../../locales/en/pages.json' with { type: 'json' };
import frPages from '../../locales/fr/pages.json' with { type: 'json' };
import { emailRoutes, type ConfirmResult, type UnsubscribeResult } from './routes.js';
import { signLink, verifyLink } from './links.js';
import { confirmationMail, escapeHtml } from './messages.js';
import { createMailer } from './mailer.js';
import { tokenAuthenticator } from '../http/auth.js';
import { createServer } from '../http/server.js';
import { startSmtp } from '../../test/smtp-peer.js';
import { collectingLog, controller, TO, translator } from '../../test/email-fixture.js';

const linkKey = randomBytes(32);

const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function expectPage(response: Response, html: string, locale: Locale): void {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  for (const [name, value] of Object.entries(PAGE_HEADERS)) {
    expect(response.headers.get(name), name).toBe(value);
  }
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain(`<html lang="${locale}">`);
  expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!127\.0\.0\.1)/i);
  // No raw key when a text is missing.
  expect(html).not.toMatch(/pages\.[a-z]+\.[a-z]+/);
}

describe('e-mail double opt-in and one-click unsubscribe', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let http: restify.Server;
  let base: string;
  const routeLog = collectingLog();

  // What the store would do, recorded: a confirmation token works once; an unsubscribe token is
  // whatever the link key signed.
  const pending = new Map<string, { locale: Locale; purposeTitle: string }>();
  const confirmCalls: string[] = [];
  const unsubscribeCalls: string[] = [];
  const unsubscribeLocales: Locale[] = [];
  let storeDown = false;

  beforeAll(async () => {
    smtp = await startSmtp();
    const routes = emailRoutes({
      confirm(token): Promise<ConfirmResult> {
        confirmCalls.push(token);
        if (storeDown) return Promise.reject(new Error('store down'));
        const found = pending.get(token);
        pending.delete(token);
        return Promise.resolve(
          found
            ? { outcome: 'confirmed', ...found }
            : { outcome: 'expired-or-unknown', locale: 'en' },
        );
      },
      unsubscribe(token, locale): Promise<UnsubscribeResult> {
        unsubscribeCalls.push(token);
        unsubscribeLocales.push(locale);
        if (storeDown) return Promise.reject(new Error('store down'));
        const link = verifyLink(linkKey, token);
        return Promise.resolve(
          link
            ? {
                outcome: 'withdrawn',
                locale,
                purposeTitles: link.p === '*' ? [] : ['Weekly newsletter'],
              }
            : { outcome: 'invalid', locale },
        );
      },
      isUnsubscribeToken: (token) => verifyLink(linkKey, token) !== undefined,
      translator,
      defaultLocale: 'en',
      log: routeLog.log,
    });
    http = createServer({
      routes,
      auth: tokenAuthenticator([]),
      log: routeLog.log,
      publicUrl: 'http://localhost',
    });
    await new Promise<void>((resolve) => {
      http.listen(0, '127.0.0.1', resolve);
    });
    base = `http://127.0.0.1:${http.address().port}`;
  });

  afterAll(async () => {
    await smtp.close();
    http.close();
  });

  beforeEach(() => {
    confirmCalls.length = 0;
    unsubscribeCalls.length = 0;
    unsubscribeLocales.length = 0;
    routeLog.lines.length = 0;
    storeDown = false;
  });

  const unsubscribeLink = (channel = 'webchat', lang: Locale = 'en', purpose = 'newsletter') =>
    `${base}/unsubscribe?token=${signLink(linkKey, { c: channel, u: 'p:pseudonym', p: purpose })}&lang=${lang}`;

  it('sends the confirmation through SMTP, and the link in it confirms once', async () => {
    const { token } = newConfirmationToken();
    pending.set(token, { locale: 'en', purposeTitle: 'Weekly newsletter' });
    const unsubscribeUrl = unsubscribeLink();
    const { lines, log } = collectingLog();
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'Privacy assistant <privacy@example.com>',
      outboxDir: '/nonexistent',
      log,
    });
    await mailer.send(
      confirmationMail({
        to: TO,
        t: translator('en'),
        controller,
        purposeTitle: 'Weekly newsletter',
        purposeText: 'You asked to receive our weekly newsletter.',
        confirmUrl: `${base}/confirm?token=${token}`,
        unsubscribeUrl,
        expiresInHours: 48,
      }),
    );

    const received = await smtp.next();
    expect(received.rcptTo).toEqual([TO]);
    const parsed = await simpleParser(received.raw);
    expect(parsed.subject).toBe('Please confirm: Weekly newsletter');
    expect((parsed.to as AddressObject).value.map((a) => a.address)).toEqual([TO]);
    expect(parsed.from?.value[0]?.address).toBe('privacy@example.com');
    // Exactly as received: one unfolded line each.
    const header = (name: string) =>
      parsed.headerLines.filter((h) => h.key === name).map((h) => h.line);
    expect(header('list-unsubscribe')).toEqual([`List-Unsubscribe: <${unsubscribeUrl}>`]);
    expect(header('list-unsubscribe-post')).toEqual([
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ]);
    expect(parsed.text).toContain('Nothing is sent to you before you confirm.');
    expect(parsed.text).toContain('The link works for 48 hours.');
    expect(parsed.text).toContain('If you did not ask for this, ignore this e-mail.');
    expect(parsed.html).toContain(`href="${escapeHtml(`${base}/confirm?token=${token}`)}"`);
    expect(`${parsed.text ?? ''}${parsed.html || ''}`).not.toMatch(/mail\.[a-z]+\.[a-z]/);

    // Logs name the kind and the message id, never the address or the body.
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ event: 'mail.sent', kind: 'confirmation' }),
    ]);
    expect(lines.join('\n')).not.toMatch(/lovelace|example\.org/);
    expect(lines.join('\n')).not.toContain(token);

    // Follow the link found in the received text, as a person would.
    const confirmUrl = /https?:\/\/\S+\/confirm\?token=\S+/.exec(parsed.text ?? '')?.[0];
    expect(confirmUrl).toBe(`${base}/confirm?token=${token}`);
    // Opening the link (as a mail scanner would, too) only shows a button: nothing is confirmed.
    const opened = await fetch(confirmUrl!);
    const openedHtml = await opened.text();
    expect(opened.status).toBe(200);
    expectPage(opened, openedHtml, 'en');
    expect(openedHtml).toContain(escapeHtml(enPages.confirm.button));
    expect(confirmCalls).toEqual([]);
    // Pressing it posts the form back to the same link.
    const action = /<form method="post" action="([^"]+)">/.exec(openedHtml)?.[1] ?? '';
    const pressed = new URL(action.replaceAll('&amp;', '&'), confirmUrl).toString();
    const first = await fetch(pressed, { method: 'POST' });
    const firstHtml = await first.text();
    expect(first.status).toBe(200);
    expectPage(first, firstHtml, 'en');
    expect(firstHtml).toContain(escapeHtml(enPages.confirmed.title));
    expect(firstHtml).toContain('Confirmed: Weekly newsletter.');
    expect(confirmCalls).toEqual([token]);

    const again = await fetch(pressed, { method: 'POST' });
    const againHtml = await again.text();
    expect(again.status).toBe(410);
    expectPage(again, againHtml, 'en');
    expect(againHtml).toContain(escapeHtml(enPages.expired.title));
    expect(confirmCalls).toEqual([token, token]);
    expect(routeLog.lines.join('\n')).not.toContain(token);

    // RFC 8058: the provider POSTs the List-Unsubscribe URL with the List-Unsubscribe-Post body.
    const listUnsubscribe = /<(.+)>/.exec(header('list-unsubscribe')[0] ?? '')?.[1];
    expect(listUnsubscribe).toBe(unsubscribeUrl);
    const oneClick = await fetch(listUnsubscribe!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    const oneClickHtml = await oneClick.text();
    expect(oneClick.status).toBe(200);
    expectPage(oneClick, oneClickHtml, 'en');
    expect(oneClickHtml).toContain(escapeHtml(enPages.unsubscribed.title));
    expect(oneClickHtml).toContain('Weekly newsletter');
    expect(unsubscribeCalls).toEqual([new URL(unsubscribeUrl).searchParams.get('token')]);
    // The form body reached the handler parsed: restify's bodyParser handles urlencoded.
    expect(routeLog.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ event: 'email.unsubscribe', outcome: 'withdrawn', oneClick: true }),
    );
  });

  it('GET /unsubscribe only shows a button; the button posts and withdraws', async () => {
    const url = unsubscribeLink();
    const token = new URL(url).searchParams.get('token');
    const page = await fetch(url);
    const html = await page.text();
    expect(page.status).toBe(200);
    expectPage(page, html, 'en');
    expect(html).toContain(escapeHtml(enPages.unsubscribe.title));
    expect(html).toContain(escapeHtml(enPages.unsubscribe.button));
    expect(unsubscribeCalls).toEqual([]);

    // Submit the form as a browser would: its action, its hidden field.
    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
    expect(action).toBeDefined();
    const target = new URL(action!.replaceAll('&amp;', '&'), url);
    expect(target.pathname).toBe('/unsubscribe');
    expect(target.searchParams.get('token')).toBe(token);
    const body = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]+)">/g)) {
      body.set(m[1] ?? '', m[2] ?? '');
    }
    expect(body.toString()).toBe('List-Unsubscribe=One-Click');
    const posted = await fetch(target, { method: 'POST', body });
    expect(posted.status).toBe(200);
    expect(unsubscribeCalls).toEqual([token]);
  });

  it('accepts a one-click POST whatever its body: multipart, empty', async () => {
    const url = unsubscribeLink('webchat', 'en', '*');
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const multipart = await fetch(url, { method: 'POST', body: form });
    expect(multipart.status).toBe(200);
    const empty = await fetch(url, { method: 'POST' });
    expect(empty.status).toBe(200);
    expect(await empty.text()).not.toContain('Weekly newsletter');
    expect(unsubscribeCalls).toHaveLength(2);
  });

  it('answers bad links with 400 pages and changes nothing', async () => {
    const cases: [string, RequestInit | undefined, number, string][] = [
      ['/confirm', undefined, 400, enPages.missing.title],
      ['/confirm?token=', undefined, 400, enPages.missing.title],
      ['/confirm?token=a&token=b', undefined, 400, enPages.missing.title],
      [`/confirm?token=${'x'.repeat(5000)}`, undefined, 400, enPages.missing.title],
      ['/confirm?token=unknown', { method: 'POST' }, 410, enPages.expired.title],
      ['/unsubscribe', undefined, 400, enPages.missing.title],
      ['/unsubscribe?token=garbage', undefined, 400, enPages.invalid.title],
      [
        `/unsubscribe?token=${signLink(randomBytes(32), { c: 'a', u: 'b', p: 'c' })}`,
        undefined,
        400,
        enPages.invalid.title,
      ],
      ['/unsubscribe', { method: 'POST' }, 400, enPages.missing.title],
      ['/unsubscribe?token=garbage', { method: 'POST' }, 400, enPages.invalid.title],
    ];
    for (const [path, init, status, title] of cases) {
      const response = await fetch(`${base}${path}`, init);
      const html = await response.text();
      expect(response.status, path).toBe(status);
      expectPage(response, html, 'en');
      expect(html, path).toContain(escapeHtml(title));
    }
    expect(confirmCalls).toEqual(['unknown']);
    expect(unsubscribeCalls).toEqual(['garbage']);
  });

  it('speaks the language of the link, unless ?lang says otherwise', async () => {
    const { token } = newConfirmationToken();
    pending.set(token, { locale: 'fr', purposeTitle: 'Newsletter hebdomadaire' });
    const fr = await fetch(`${base}/confirm?token=${token}`, { method: 'POST' });
    const frHtml = await fr.text();
    expect(fr.status).toBe(200);
    expectPage(fr, frHtml, 'fr');
    expect(frHtml).toContain(escapeHtml(frPages.confirmed.title));
    expect(frHtml).toContain(escapeHtml(frPages.confirmed.body));
    expect(frHtml).not.toContain(escapeHtml(enPages.confirmed.title));

    const { token: other } = newConfirmationToken();
    pending.set(other, { locale: 'fr', purposeTitle: 'Newsletter hebdomadaire' });
    const en = await fetch(`${base}/confirm?token=${other}&lang=en`, { method: 'POST' });
    const enHtml = await en.text();
    expectPage(en, enHtml, 'en');
    expect(enHtml).toContain(escapeHtml(enPages.confirmed.title));

    const page = await fetch(unsubscribeLink('webchat', 'fr'));
    const pageHtml = await page.text();
    expectPage(page, pageHtml, 'fr');
    expect(pageHtml).toContain(escapeHtml(frPages.unsubscribe.button));

    const done = await fetch(unsubscribeLink('webchat', 'fr'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    const doneHtml = await done.text();
    expectPage(done, doneHtml, 'fr');
    expect(doneHtml).toContain(escapeHtml(frPages.unsubscribed.title));
    expect(unsubscribeLocales).toEqual(['fr']);

    // An unknown confirmation token has no language on file: the browser's.
    const expired = await fetch(`${base}/confirm?token=unknown`, {
      method: 'POST',
      headers: { 'accept-language': 'fr' },
    });
    const expiredHtml = await expired.text();
    expect(expired.status).toBe(410);
    expectPage(expired, expiredHtml, 'fr');
    expect(expiredHtml).toContain(escapeHtml(frPages.expired.body));

    // No link language and no ?lang: the browser's language.
    const missing = await fetch(`${base}/confirm`, {
      headers: { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' },
    });
    const missingHtml = await missing.text();
    expectPage(missing, missingHtml, 'fr');
    expect(missingHtml).toContain(escapeHtml(frPages.missing.title));
  });

  it('escapes what it did not write', async () => {
    const { token } = newConfirmationToken();
    pending.set(token, { locale: 'en', purposeTitle: '<img src=x onerror=alert(1)>' });
    const html = await (await fetch(`${base}/confirm?token=${token}`, { method: 'POST' })).text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });

  it('says "try again" with a 503 when the store is down', async () => {
    storeDown = true;
    const confirm = await fetch(`${base}/confirm?token=abc`, { method: 'POST' });
    expect(confirm.status).toBe(503);
    expect(await confirm.text()).toContain(escapeHtml(enPages.unavailable.title));
    const unsubscribe = await fetch(unsubscribeLink(), { method: 'POST' });
    expect(unsubscribe.status).toBe(503);
    expect(routeLog.lines.join('\n')).not.toContain('store down');
  });
});
