import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentEvent } from '../consent/ledger.js';
import { hasKantaraReceipt } from '../consent/receipts.js';
import { CSV_COLUMNS } from '../bot/compliance/export.js';
import { temporaryFolder, TEST_KEYS } from './harness.js';
import { COMPLIANCE, customer, MARKETING, startServer, type Running } from './http-harness.js';

/**
 * The compliance console in a real Chromium (Debian's, driven by playwright-core), against the
 * real server and the consents real conversations left in the embedded store.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const SCREENSHOT = join(tmpdir(), 'consent-console.png');
const ACCESS_SCREENSHOT = join(tmpdir(), 'consent-console-access-log.png');
/** The embedded store's file in DATA_DIR (storage/sqlite/sqlite-database.ts). */
const DATABASE_FILE = 'consent-bot.sqlite';
const TOKEN_KEY = 'consent-console.token';
/**
 * Runs in a blank page of the same Chromium: decodes a base64 PNG and counts the distinct colours
 * of a sample of its pixels. Source text, as the test's own types know no DOM.
 */
const COUNT_COLOURS = `async (data) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + data;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const drawing = canvas.getContext('2d');
  drawing.drawImage(image, 0, 0);
  const pixels = drawing.getImageData(0, 0, image.width, image.height).data;
  const seen = new Set();
  for (let i = 0; i < pixels.length; i += 4 * 7) {
    seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
  }
  return seen.size;
}`;

describe('the console files, as the server serves them', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['/console', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/console/', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/console/console.js', 'text/javascript; charset=utf-8', '// @ts-check'],
    ['/console/console.css', 'text/css; charset=utf-8', ':root'],
  ])('serves %s with strict security headers', async (path, type, start) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect((await response.text()).startsWith(start)).toBe(true);
  });

  it('answers a revalidation with 304 and no body', async () => {
    const first = await fetch(`${server.url}/console/console.js`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(`${server.url}/console/console.js`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it.each([
    '/console/..%2Fpackage.json',
    '/console/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/console/tsconfig.json',
    '/console/index.htm',
  ])('serves nothing outside its list: %s', async (path) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', message: 'no such console file' });
  });
});

describe('the compliance console in Chromium', () => {
  let server: Running;
  let context: BrowserContext;
  let page: Page;
  const profile = temporaryFolder('consent-console-chromium-');
  const data = temporaryFolder('consent-console-data-');
  const PEOPLE = ['console-ann', 'console-bob', 'console-cleo'];
  const problems: string[] = [];
  const outside: string[] = [];
  let events: ConsentEvent[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install it with "apt-get install chromium" ` +
          '(bash scripts/ensure-chromium.sh does it as root) or set CHROMIUM_PATH.',
      );
    }
    server = await startServer({ DATA_DIR: data.path });
    cleanups.push(() => server.close());
    // Three people answer the bot over the real endpoint; the second stops and says why, the
    // third stops at once.
    const ann = customer(server.url, 'console-ann', 'en-GB');
    await ann.join();
    await ann.say('No');
    await ann.say('Yes');
    const bob = customer(server.url, 'console-bob', 'en-GB');
    await bob.join();
    await bob.say('No');
    await bob.say('No');
    await bob.say('Yes');
    await bob.say('STOP');
    expect((await bob.say('Not relevant'))[0]?.text).toBe(
      'Thank you. Your answer is kept without your name.',
    );
    const cleo = customer(server.url, 'console-cleo', 'en-GB');
    await cleo.join();
    await cleo.say('stop');
    for (const user of PEOPLE) {
      const subject = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: user });
      events.push(...(await server.stores.ledger.history(subject)));
    }
    // The API's order: by recordedAt, then id (one stop records several events at one time).
    events = events.sort(
      (a, b) => a.recordedAt.localeCompare(b.recordedAt) || (a.id < b.id ? -1 : 1),
    );

    context = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    cleanups.push(() => context.close());
    // Nothing may leave this machine: no CDN, no font service, no telemetry.
    await context.route('**/*', async (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || hostname === 'localhost') {
        await route.continue();
        return;
      }
      outside.push(route.request().url());
      await route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => {
      problems.push(`pageerror: ${error.message}`);
    });
  });

  // Undone in reverse, and only what was started: a missing Chromium must be the one error shown.
  const cleanups: (() => Promise<void> | void)[] = [profile.remove, data.remove];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('refuses a wrong token and a token without the compliance role, and says why', async () => {
    await page.goto(`${server.url}/console`);
    await expect.poll(() => page.locator('#sign-in').isVisible()).toBe(true);
    await page.getByLabel('Access token').fill('not-a-real-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toBe(
      'The token was not accepted (401). Sign in again with a valid token.',
    );
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);

    await page.getByLabel('Access token').fill(MARKETING);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => error.textContent())
      .toBe('This token does not have the compliance role (403).');
    expect(await page.locator('#views').isVisible()).toBe(false);
  });

  it('signs in with the compliance token from the keyboard, kept in this tab only', async () => {
    await page.getByLabel('Access token').fill(COMPLIANCE);
    await page.getByLabel('Access token').press('Enter');
    await page.locator('#views').waitFor({ state: 'visible' });
    expect(await page.locator('#sign-in').isVisible()).toBe(false);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBe(
      COMPLIANCE,
    );
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
  });

  it('draws the aggregates as SVG charts: a point per purpose answered, a bar per reason', async () => {
    await page.getByRole('button', { name: 'Reports' }).click();
    await page.getByRole('button', { name: 'Show' }).click();
    const answered = new Set(
      events
        .filter((e) => e.decision === 'given' || e.decision === 'refused')
        .map((e) => e.purposeId),
    );
    const points = page.locator('#chart-consent circle.point');
    await expect.poll(() => points.count()).toBe(answered.size);
    const drawn = await Promise.all(
      (await points.all()).map((point) => point.getAttribute('data-purpose')),
    );
    expect(new Set(drawn)).toEqual(answered);
    // Ann gave personalised offers; Bob refused them: 50 %.
    expect(
      await page
        .locator('#chart-consent circle[data-purpose="personalised-offers"]')
        .getAttribute('data-value'),
    ).toBe('0.5');
    // Analytics: given once (Bob), withdrawn twice (Bob, and Cleo who stopped before answering).
    const count = (purposeId: string, decision: string) =>
      events.filter((e) => e.purposeId === purposeId && e.decision === decision).length;
    expect(
      await page
        .locator('#chart-withdrawal circle[data-purpose="analytics"]')
        .getAttribute('data-value'),
    ).toBe(String(count('analytics', 'withdrawn') / count('analytics', 'given')));
    const bars = await Promise.all(
      (await page.locator('#chart-reasons rect.bar').all()).map(async (bar) => [
        await bar.getAttribute('data-reason'),
        await bar.getAttribute('data-value'),
      ]),
    );
    expect(Object.fromEntries(bars)).toEqual({
      'too-many-messages': '0',
      'not-relevant': '1',
      'privacy-worries': '0',
      other: '0',
    });
  });

  it('searches the ledger and lists the seeded events, newest first', async () => {
    await page.getByRole('button', { name: 'Consent events' }).click();
    await page.locator('#events-form').getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('#events-table tbody tr');
    await expect.poll(() => rows.count()).toBe(events.length);
    const purposes = await rows.locator('td:nth-child(4)').allTextContents();
    expect(purposes).toEqual(events.map((e) => e.purposeId).reverse());
    expect(await page.locator('#status').textContent()).toBe(`Events shown: ${events.length}.`);
    expect(await page.locator('#events-table .more').isVisible()).toBe(false);
  });

  it('pages through the events with More', async () => {
    await page.locator('#events-form').getByLabel('Rows per page').selectOption('10');
    await page.locator('#events-form').getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('#events-table tbody tr');
    const more = page.locator('#events-table').locator('..').getByRole('button', { name: 'More' });
    await more.waitFor({ state: 'visible' });
    expect(await rows.count()).toBe(10);
    await more.click();
    await expect.poll(() => rows.count()).toBe(events.length);
    expect(await more.isVisible()).toBe(false);
    const ids = await rows.locator('td:nth-child(3) code').evaluateAll((codes) => codes.length);
    expect(ids).toBe(events.length);
    expect(await rows.locator('td:nth-child(4)').allTextContents()).toEqual(
      events.map((e) => e.purposeId).reverse(),
    );
  });

  it('shows a refused query as the server explains it', async () => {
    await page.getByLabel('User id').first().fill('console-ann');
    await page.locator('#events-form').getByRole('button', { name: 'Search' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'INVALID_SUBJECT' });
    await alert.waitFor({ state: 'visible' });
    expect(await alert.textContent()).toBe(
      'Request failed (400 INVALID_SUBJECT): userId needs channelId: a user id is a channel’s',
    );
  });

  it('opens a conversation as a timeline: the words said, and each consent with its notice', async () => {
    const ann = events.filter((e) => e.conversationId === 'conv-console-ann');
    await page
      .locator('#events-table tbody tr', { hasText: 'personalised-offers' })
      .filter({ has: page.getByRole('button', { name: 'conv-console-ann' }) })
      .getByRole('button', { name: 'conv-console-ann' })
      .click();
    const timeline = page.locator('#timeline');
    await expect.poll(() => timeline.locator('.consent-card').count()).toBe(ann.length);
    expect(await timeline.locator('.item.message.in .bubble-text').allTextContents()).toEqual([
      'No',
      'Yes',
    ]);
    expect(await timeline.locator('.item.message.out .bubble-text').count()).toBeGreaterThan(2);
    for (const [index, event] of ann.entries()) {
      const card = timeline.locator('.consent-card').nth(index);
      const notice = await server.stores.notices.get(event.noticeHash ?? '');
      expect(notice).toBeDefined();
      expect(await card.locator('blockquote').textContent()).toBe(notice?.text);
      expect(await card.locator('code.hash').textContent()).toBe(event.noticeHash);
      const text = await card.textContent();
      expect(text).toContain(event.purposeId);
      expect(text).toContain(event.catalogueVersion);
      expect(await card.locator('h3').textContent()).toBe(`Consent recorded: ${event.decision}`);
    }
  });

  it('verifies the proof of the person in the filters, then the whole store: intact', async () => {
    await page.getByRole('button', { name: 'Consent events' }).click();
    await page.getByLabel('Channel').first().fill('webchat');
    await page.getByLabel('User id').first().fill('console-ann');
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    const result = page.locator('#verify-result');
    const ann = events.filter((e) => e.conversationId === 'conv-console-ann').length;
    await expect
      .poll(() => result.textContent())
      .toBe(`✓IntactEvents checked: ${ann} · People: 1 · Scope: subject`);
    await page.getByRole('button', { name: 'Verify whole store' }).click();
    await expect
      .poll(() => result.textContent())
      .toBe(`✓IntactEvents checked: ${events.length} · People: 3 · Scope: store`);
    expect(await result.getAttribute('class')).toContain('intact');
  });

  /** Clicks an export button and reads the file the browser saved. */
  const download = async (button: string) => {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: button, exact: true }).click(),
    ]);
    const lines = readFileSync(await file.path(), 'utf8')
      .trimEnd()
      .split(/\r?\n/);
    return { name: file.suggestedFilename(), lines };
  };

  it('exports the events through the browser: JSONL, CSV and receipts', async () => {
    await page.getByLabel('Channel').first().fill('');
    await page.getByLabel('User id').first().fill('');
    const jsonl = await download('JSONL');
    expect(jsonl.name).toBe('consent-events.jsonl');
    expect(jsonl.lines.map((line) => (JSON.parse(line) as ConsentEvent).id)).toEqual(
      events.map((e) => e.id),
    );
    const csv = await download('CSV');
    expect(csv.lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv.lines.slice(1).map((line) => line.split(',')[0])).toEqual(events.map((e) => e.id));
    // A receipt is issued for the decisions Kantara v1.1 describes: consents, not refusals.
    const receipts = await download('Receipts');
    expect(receipts.name).toBe('consent-receipts.jsonl');
    expect(receipts.lines).toHaveLength(events.filter(hasKantaraReceipt).length);
    expect(receipts.lines.length).toBeGreaterThan(0);
    expect(await page.locator('#status').textContent()).toMatch(
      new RegExp(`^Downloaded ${receipts.name.replace('.', '\\.')} \\(\\d+\\.\\d kB\\)\\.$`),
    );
  });

  it('ends the session when the token stops being accepted, and says so', async () => {
    await page.evaluate(`sessionStorage.setItem('${TOKEN_KEY}', 'revoked-token-0123456789')`);
    await page.locator('#events-form').getByRole('button', { name: 'Search' }).click();
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    expect(await page.locator('#sign-in-error').textContent()).toBe(
      'The token was not accepted (401). Sign in again with a valid token.',
    );
    expect(await page.locator('#events-table tbody tr').count()).toBe(0);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();
    await page.getByLabel('Access token').fill(COMPLIANCE);
    await page.getByLabel('Access token').press('Enter');
    await page.locator('#views').waitFor({ state: 'visible' });
  });

  it('searches conversations and opens one: a stop, its withdrawals, and the reason asked', async () => {
    await page.getByRole('button', { name: 'Conversations' }).click();
    await page.locator('#conversations-form').getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('#conversations-table tbody tr');
    await expect.poll(() => rows.count()).toBe(PEOPLE.length);
    expect(await rows.locator('.conversation-id').allTextContents()).toEqual(
      PEOPLE.map((user) => `conv-${user}`).reverse(),
    );
    await page.getByRole('button', { name: 'conv-console-bob' }).click();
    const timeline = page.locator('#timeline');
    const bob = events.filter((e) => e.conversationId === 'conv-console-bob');
    await expect.poll(() => timeline.locator('.consent-card').count()).toBe(bob.length);
    expect(await timeline.locator('.item.message.in .bubble-text').allTextContents()).toEqual([
      'No',
      'No',
      'Yes',
      'STOP',
      'Not relevant',
    ]);
    const headings = await timeline.locator('.consent-card h3').allTextContents();
    expect(headings).toEqual(bob.map((e) => `Consent recorded: ${e.decision}`));
    expect(await rows.filter({ hasText: 'conv-console-bob' }).getAttribute('aria-current')).toBe(
      'true',
    );
  });

  it('shows where the proof was tampered with', async () => {
    // Someone with file access drops the guard and turns Bob's refusal into a consent.
    const db = new Database(join(data.path, DATABASE_FILE));
    const bob = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'console-bob' });
    const target = events.find((e) => e.subject.userId === bob.userId && e.seq === 1)!;
    try {
      db.exec('DROP TRIGGER consent_events_no_update');
      const forged = JSON.stringify({ ...target, decision: 'given' });
      const changed = db
        .prepare("UPDATE consent_events SET body = ? WHERE json_extract(body, '$.id') = ?")
        .run(forged, target.id);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    await page.getByRole('button', { name: 'Consent events' }).click();
    await page.getByRole('button', { name: 'Verify whole store' }).click();
    const result = page.locator('#verify-result');
    await expect.poll(() => result.getAttribute('class')).toContain('broken');
    expect(await result.locator('.verdict').textContent()).toBe('✗Integrity problems found');
    const cells = await result.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells.slice(1, 3)).toEqual(['altered', '1']);
    expect(await result.locator('tbody tr code').last().getAttribute('title')).toBe(target.id);
  });

  /** The access log as the store holds it, newest first. */
  const accessRecords = async () =>
    (await server.stores.accessLog.list({}, { limit: 1000 })).records;
  const accessRows = () => page.locator('#access-table tbody tr');
  /** The rows on screen, read in the page (source text: the test's types know no DOM). */
  const shownAccess = () =>
    page.evaluate<{ at: string; principal: string; role: string; action: string }[]>(
      `[...document.querySelectorAll('#access-table tbody tr')].map((row) => ({
        at: row.querySelector('time').getAttribute('datetime'),
        principal: row.cells[1].textContent,
        role: row.cells[2].textContent,
        action: row.querySelector('td:nth-child(4) code').textContent,
      }))`,
    );

  it('shows the access log: every access the officer made, newest first, by pseudonym only', async () => {
    await page.getByRole('button', { name: 'Access log' }).click();
    // What the view will list: reading the log is itself recorded, after the page is read.
    const records = await accessRecords();
    await page.locator('#access-form').getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => accessRows().count()).toBe(records.length);
    expect(await shownAccess()).toEqual(
      records.map(({ at, principal, role, action }) => ({ at, principal, role, action })),
    );
    expect(await page.locator('#status').textContent()).toBe(
      `Access records shown: ${records.length}.`,
    );
    const times = records.map((record) => record.at);
    expect(times).toEqual([...times].sort().reverse());
    // Everything this test did through the console, under the compliance token's fingerprint.
    expect([...new Set(records.map((record) => record.principal))]).toEqual([
      expect.stringMatching(/^token:compliance:[0-9a-f]{12}$/),
    ]);
    expect(new Set(records.map((record) => record.action))).toEqual(
      new Set([
        'ledger.search',
        'transcript.read',
        'ledger.verify',
        'export.events.jsonl',
        'export.events.csv',
        'export.receipts.jsonl',
        'transcripts.search',
      ]),
    );
    // A known action by its name, whose data by pseudonym or as everyone, the filters as k=v.
    const ann = TEST_KEYS.ledgerSubject({ channelId: 'webchat', userId: 'console-ann' });
    const annIndex = records.findIndex(
      (record) => record.action === 'ledger.verify' && record.target === `webchat|${ann.userId}`,
    );
    expect(annIndex).toBeGreaterThanOrEqual(0);
    const annRow = accessRows().nth(annIndex);
    expect(await annRow.locator('.action-label').textContent()).toBe('Integrity verified');
    expect(await annRow.locator('td:nth-child(5) code').getAttribute('title')).toBe(
      `webchat|${ann.userId}`,
    );
    expect(await annRow.locator('.detail li').allTextContents()).toEqual(
      Object.entries(records[annIndex]?.detail ?? {}).map(([name, value]) => `${name}=${value}`),
    );
    const everyone = records.findIndex((record) => record.action === 'export.events.csv');
    expect(await accessRows().nth(everyone).locator('td:nth-child(5)').textContent()).toBe(
      'All people',
    );
    // The log names people by pseudonym: no raw id, nor a conversation id built on one.
    const shown = await page.locator('#view-access').innerHTML();
    for (const user of PEOPLE) expect(shown).not.toContain(user);
  });

  it('filters the access log by principal and by days, and pages through it with More', async () => {
    const records = await accessRecords();
    const form = page.locator('#access-form');
    const search = form.getByRole('button', { name: 'Search' });
    await form.getByLabel('Principal').fill('token:compliance:000000000000');
    await search.click();
    const empty = page.locator('#access-table').locator('..').locator('.empty');
    await empty.waitFor({ state: 'visible' });
    expect(await accessRows().count()).toBe(0);
    expect(await page.locator('#status').textContent()).toBe('Access records shown: 0.');

    // Today, included: the console asks up to the start of tomorrow.
    const today = new Date().toISOString().slice(0, 10);
    await form.getByLabel('Principal').fill(records[0]?.principal ?? '');
    await form.getByLabel('From').fill(today);
    await form.getByLabel('To (included)').fill(today);
    await form.getByLabel('Rows per page').selectOption('10');
    const listed = await accessRecords();
    await search.click();
    const more = page.locator('#access-table').locator('..').getByRole('button', { name: 'More' });
    await more.waitFor({ state: 'visible' });
    expect(await empty.isVisible()).toBe(false);
    expect(listed.length).toBeGreaterThan(10);
    while (await more.isVisible()) {
      const before = await accessRows().count();
      await more.click();
      await expect.poll(() => accessRows().count()).toBeGreaterThan(before);
    }
    expect((await shownAccess()).map((row) => row.at)).toEqual(listed.map((r) => r.at));
    // Each of those reads of the log is in the log now, under the same principal.
    const reads = (await accessRecords()).filter((r) => r.action === 'access-log.read');
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(new Set(reads.map((r) => r.principal))).toEqual(new Set([records[0]?.principal]));

    // A range that ends before it starts: the server's refusal, as it says it.
    const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    await form.getByLabel('From').fill(tomorrow);
    await search.click();
    const alert = page.getByRole('alert').filter({ hasText: 'INVALID_RANGE' });
    await alert.waitFor({ state: 'visible' });
    expect(await alert.textContent()).toBe(
      'Request failed (400 INVALID_RANGE): from must be before to (from is included, to is not)',
    );
    await form.getByLabel('From').fill('');
    await form.getByLabel('To (included)').fill('');
    await form.getByLabel('Principal').fill('');
    await form.getByLabel('Rows per page').selectOption('50');
    const latest = await accessRecords();
    await search.click();
    await expect.poll(() => accessRows().count()).toBe(Math.min(latest.length, 50));
  });

  it.each([
    ['Conversations', SCREENSHOT],
    ['Access log', ACCESS_SCREENSHOT],
  ])(
    'renders %s worth looking at: a full-page screenshot that is not blank',
    async (view, file) => {
      await page.getByRole('button', { name: view }).click();
      const png = await page.screenshot({ fullPage: true });
      writeFileSync(file, png);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const width = png.readUInt32BE(16);
      const height = png.readUInt32BE(20);
      expect(width).toBe(1280);
      expect(height).toBeGreaterThanOrEqual(600);
      // Chromium decodes the image and counts its colours; the same count on a blank page is 1.
      const blank = await context.newPage();
      const colours = (image: Buffer) =>
        blank.evaluate<number>(`(${COUNT_COLOURS})('${image.toString('base64')}')`);
      expect(await colours(await blank.screenshot({ fullPage: true }))).toBe(1);
      expect(await colours(png)).toBeGreaterThan(50);
      await blank.close();
    },
  );

  it('signs out and forgets the token and what was on screen', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();
    expect(await page.locator('#timeline li').count()).toBe(0);
    expect(await page.locator('#events-table tbody tr').count()).toBe(0);
    expect(await page.locator('#access-table tbody tr').count()).toBe(0);
  });

  it('runs under a CSP that refuses inline script', async () => {
    // A page of its own, so the refusal it provokes is not counted among the console's errors.
    const probe = await context.newPage();
    const refused: string[] = [];
    probe.on('console', (message) => refused.push(message.text()));
    await probe.goto(`${server.url}/console`);
    const ran = await probe.evaluate<boolean>(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      return window.inlineRan === true;
    })()`);
    expect(ran).toBe(false);
    await expect
      .poll(() => refused.join('\n'))
      .toContain(
        "Executing inline script violates the following Content Security Policy directive 'script-src 'self''",
      );
    await probe.close();
  });

  it('logged no error, broke no CSP rule, and reached nothing but this server', () => {
    // The only failed loads expected: the wrong token, the under-privileged one, the bad query.
    const unexpected = problems.filter(
      (line) =>
        !/Failed to load resource: the server responded with a status of 40[013]/.test(line),
    );
    expect(unexpected).toEqual([]);
    expect(outside).toEqual([]);
  });
});
