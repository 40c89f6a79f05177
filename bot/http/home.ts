import { createHash } from 'node:crypto';
import { isLocale, LOCALES, type Locale } from '../../consent/catalogue.js';
import { route, type Route } from './route.js';

/**
 * GET /: what someone who opens the server's address in a browser needs, in their language: where
 * the console and the API description are, how to check health, and how to talk to the bot (there
 * is no web chat page: the bot is reached through a Bot Framework channel or `npm run chat`).
 */

interface HomeText {
  readonly title: string;
  readonly intro: string;
  readonly chatHeading: string;
  readonly chat: string;
  readonly terminal: string;
  readonly consoleHeading: string;
  readonly console: string;
  /** With its leading punctuation: French puts a space before the colon. */
  readonly consoleHint: string;
  readonly apiHeading: string;
  readonly openApi: string;
  readonly healthz: string;
  readonly readyz: string;
}

// Fixed texts only: nothing from the request is ever written into the page.
const TEXTS: Readonly<Record<Locale, HomeText>> = {
  en: {
    title: 'Consent bot',
    intro:
      'This server runs a chat bot that asks for, explains and withdraws consent to the use of ' +
      'personal data, and keeps proof of every decision.',
    chatHeading: 'Talk to the bot',
    chat:
      'There is no chat page here. The bot answers through a Bot Framework channel (Web Chat, ' +
      'Microsoft Teams), whose messages it receives at <code>POST /api/messages</code>.',
    terminal: 'From a terminal in the project folder: <code>npm run chat</code>.',
    consoleHeading: 'Compliance officers',
    console: 'Compliance console',
    consoleHint: ': sign in with a token of the compliance role.',
    apiHeading: 'Developers and operators',
    openApi: 'API description (OpenAPI 3.1, JSON)',
    healthz: 'Liveness: is the process up?',
    readyz: 'Readiness: does the store take writes?',
  },
  fr: {
    title: 'Bot de consentement',
    intro:
      'Ce serveur fait tourner un bot de conversation qui demande, explique et retire le ' +
      'consentement à l’utilisation de données personnelles, et garde la preuve de chaque décision.',
    chatHeading: 'Parler au bot',
    chat:
      'Il n’y a pas de page de conversation ici. Le bot répond par un canal Bot Framework (Web ' +
      'Chat, Microsoft Teams), dont il reçoit les messages sur <code>POST /api/messages</code>.',
    terminal: 'Depuis un terminal, dans le dossier du projet : <code>npm run chat</code>.',
    consoleHeading: 'Responsables de la conformité',
    console: 'Console de conformité',
    consoleHint: ' : connectez-vous avec un jeton du rôle compliance.',
    apiHeading: 'Développeurs et exploitation',
    openApi: 'Description de l’API (OpenAPI 3.1, JSON)',
    healthz: 'Vivacité : le processus tourne-t-il ?',
    readyz: 'Disponibilité : le stockage accepte-t-il les écritures ?',
  },
};

const STYLE =
  'body{font:1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;' +
  'color:#1a1a1a;background:#fff}a{color:#0b57d0}code{font-size:0.95em}';

/**
 * Nothing may run and nothing may load: the only thing the page needs is its own inline style,
 * allowed by its hash (CSP Level 2 hash-source), so an injected style or script is refused.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; " +
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; ` +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function pageOf(locale: Locale): string {
  const t = TEXTS[locale];
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${t.title}</h1>
<p>${t.intro}</p>
<h2>${t.chatHeading}</h2>
<p>${t.chat}</p>
<p>${t.terminal}</p>
<h2>${t.consoleHeading}</h2>
<p><a href="/console">${t.console}</a>${t.consoleHint}</p>
<h2>${t.apiHeading}</h2>
<ul>
<li><a href="/api/openapi.json">${t.openApi}</a></li>
<li><a href="/healthz">${t.healthz}</a></li>
<li><a href="/readyz">${t.readyz}</a></li>
</ul>
</main>
</body>
</html>
`;
}

/**
 * The locale an Accept-Language header prefers (RFC 9110 §12.5.4): the highest weight among the
 * languages the bot speaks, a `*` standing for the default; `q=0` means "not this one". Ties go
 * to the one listed first. A malformed entry is skipped, never an error: this only picks a page.
 */
export function preferredLocale(header: string | undefined, fallback: Locale): Locale {
  let best: { locale: Locale; weight: number } | undefined;
  for (const entry of (header ?? '').split(',')) {
    const [range = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const weight =
      q === undefined ? 1 : /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q) ? +q.slice(2) : NaN;
    if (!(weight > 0)) continue;
    const primary = range.split('-')[0];
    const locale = range === '*' ? fallback : isLocale(primary) ? primary : undefined;
    if (locale && (!best || weight > best.weight)) best = { locale, weight };
  }
  return best?.locale ?? fallback;
}

/** GET /: a short page in the browser's language (`defaultLocale` when it names none we speak). */
export function homeRoutes(defaultLocale: Locale): Route[] {
  const pages = new Map(LOCALES.map((locale) => [locale, Buffer.from(pageOf(locale))]));
  return [
    route({
      method: 'GET',
      path: '/',
      summary: 'A short page for browsers: where the console, the API description and health are',
      headers: 'page',
      responses: {
        200: {
          description: 'The page, in the language the browser prefers',
          mediaType: 'text/html',
        },
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- a handler returns a promise
      handle: async (_input, { req, res }) => {
        const locale = preferredLocale(req.header('accept-language'), defaultLocale);
        const body = pages.get(locale) ?? Buffer.alloc(0);
        // Stricter than the pages' set: the one inline style is allowed by its hash, nothing else.
        res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': body.length,
          'Content-Language': locale,
          // The page depends on Accept-Language: a shared cache must keep one copy per language.
          Vary: 'Accept-Language',
          'Cache-Control': 'no-cache',
        });
        res.end(body);
        return undefined;
      },
    }),
  ];
}
