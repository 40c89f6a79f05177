import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../../test/http-harness.js';

/** The root page of the real server (the whole app, as bot/app.ts wires it). */
describe('GET / (the page a browser shows at the root URL)', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const home = (acceptLanguage?: string, url = server.url) =>
    fetch(`${url}/`, acceptLanguage ? { headers: { 'Accept-Language': acceptLanguage } } : {});

  const linksOf = (page: string) =>
    [...page.matchAll(/<a href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].map(([, href, text]) => ({
      href: href ?? '',
      text: (text ?? '').trim(),
    }));

  it('links the console, the API document, health and readiness, and each link answers', async () => {
    const response = await home('en');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    const page = await response.text();
    const links = linksOf(page);
    const local = links.map((link) => link.href).filter((href) => href.startsWith('/'));
    expect(local).toEqual(
      expect.arrayContaining(['/console', '/api/openapi.json', '/healthz', '/readyz']),
    );
    for (const href of local) {
      const followed = await fetch(`${server.url}${href}`);
      expect(followed.status, href).toBe(200);
    }
    // There is no web chat page: the page says how to reach the bot instead.
    expect(page).toContain('npm run chat');
    expect(page).toContain('/api/messages');
  });

  it('is a page a screen reader can use: language, title, landmarks, named links', async () => {
    const page = await (await home('en-GB')).text();
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toMatch(/<html lang="en">/);
    expect(page).toMatch(/<title>[^<]+<\/title>/);
    expect(page).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(page).toMatch(/<main>[\s\S]*<h1>[^<]+<\/h1>[\s\S]*<\/main>/);
    for (const link of linksOf(page)) expect(link.text, link.href).not.toBe('');
  });

  it('speaks the language the browser prefers, by quality, else the default locale', async () => {
    const langOf = async (header?: string, url?: string) =>
      /<html lang="(\w+)">/.exec(await (await home(header, url)).text())?.[1];
    expect(await langOf('fr-CH, fr;q=0.9, en;q=0.8')).toBe('fr');
    expect(await langOf('en;q=0.2, fr;q=0.9')).toBe('fr');
    expect(await langOf('de, fr;q=0.5, en;q=0.3')).toBe('fr');
    expect(await langOf('fr;q=0, en')).toBe('en');
    expect(await langOf('de, *;q=0.1')).toBe('en');
    expect(await langOf('not a language tag ;;; q=x')).toBe('en');
    expect(await langOf()).toBe('en');

    const french = await startServer({ DEFAULT_LOCALE: 'fr' });
    try {
      expect(await langOf(undefined, french.url)).toBe('fr');
      expect(await langOf('de', french.url)).toBe('fr');
      expect(await langOf('en-US', french.url)).toBe('en');
    } finally {
      await french.close();
    }
  });

  it('answers with strict headers: nothing runs, only its own inline style applies', async () => {
    const response = await home('fr');
    const page = await response.text();
    const csp = response.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((part) => {
        const [name = '', ...values] = part.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.has('script-src')).toBe(false); // default-src 'none' covers it

    // The one inline style is allowed by its hash (CSP Level 2 hash-source), and nothing else.
    const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(([, css]) => css ?? '');
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256')
      .update(styles[0] ?? '')
      .digest('base64');
    expect(directives.get('style-src')).toEqual([`'sha256-${hash}'`]);
    expect(page).not.toMatch(/<script|style="|\son\w+=/i);

    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-language')).toBe('fr');
    expect(response.headers.get('vary')).toMatch(/accept-language/i);
  });
});
