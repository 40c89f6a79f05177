import type { Request, Response } from 'restify';
import { z } from 'zod';
import { isLocale, type Locale } from '../../consent/catalogue.js';
import { listOf, localeFrom, type Translate, type Translator } from '../platform/i18n.js';
import { errorFields, type Logger } from '../platform/log.js';
import { escapeHtml } from './messages.js';
import { route, type ResponseDoc, type Route } from '../http/route.js';

export interface ConfirmResult {
  /** `revoked`: the consent the link was mailed for was withdrawn or changed since. */
  readonly outcome: 'confirmed' | 'already' | 'revoked' | 'expired-or-unknown';
  readonly locale: Locale;
  readonly purposeTitle?: string | undefined;
}

export interface UnsubscribeResult {
  readonly outcome: 'withdrawn' | 'invalid';
  readonly locale: Locale;
  readonly purposeTitles?: readonly string[] | undefined;
}

export interface EmailRouteDeps {
  /** Consumes a double opt-in token (single use) and records the confirmation. */
  confirm(token: string): Promise<ConfirmResult>;
  /**
   * Records the withdrawal a one-click unsubscribe link stands for; durable when it resolves.
   * `locale` is the language the link asks for (its `lang`), else the browser's, else the default:
   * the signed link itself carries none.
   */
  unsubscribe(token: string, locale: Locale): Promise<UnsubscribeResult>;
  /**
   * Whether a token is one of our signed unsubscribe links (`verifyLink` of bot/email/links.ts), so that
   * the GET page answers a broken link with "not valid" instead of a button that cannot work.
   */
  isUnsubscribeToken(token: string): boolean;
  readonly translator: Translator;
  readonly defaultLocale: Locale;
  readonly log: Logger;
}

/** Longer than any token we issue (bot/email/links.ts caps at 1500): the rest is garbage. */
const MAX_TOKEN_CHARS = 2048;

/**
 * The token is in the URL: no cache may keep the page. The security headers are the `page` set of
 * bot/http/security-headers.ts, which each route declares.
 */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
} as const;

const STYLE =
  'body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;padding:2rem 1rem;color:#222;background:#f6f6f6}' +
  'main{max-width:32rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}' +
  'h1{font-size:1.4rem;margin-top:0}' +
  'button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1f4fa3;color:#fff;cursor:pointer}';

interface PageContent {
  readonly title: string;
  readonly lines: readonly string[];
  readonly form?: {
    readonly action: string;
    readonly button: string;
    /** RFC 8058's field, for the unsubscribe form only. */
    readonly oneClick?: boolean;
  };
}

function html(locale: Locale, content: PageContent): string {
  const form = content.form
    ? `<form method="post" action="${escapeHtml(content.form.action)}">` +
      (content.form.oneClick
        ? '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        : '') +
      `<button type="submit">${escapeHtml(content.form.button)}</button></form>`
    : '';
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${escapeHtml(content.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(content.title)}</h1>`,
    ...content.lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    form,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function sendPage(res: Response, status: number, locale: Locale, content: PageContent): void {
  res.sendRaw(status, html(locale, content), { ...PAGE_HEADERS });
}

/** The one `token` of the query string, or undefined when absent, repeated, empty or huge. */
function tokenOf(query: URLSearchParams): string | undefined {
  const all = query.getAll('token');
  const token = all.length === 1 ? all[0]?.trim() : undefined;
  return token && token.length <= MAX_TOKEN_CHARS ? token : undefined;
}

/**
 * The e-mail side of consent: the double opt-in link (GET /confirm shows a button, POST confirms)
 * and RFC 8058 one-click
 * unsubscribe (POST /unsubscribe; GET /unsubscribe only shows a button). Each page is in the
 * person's language: `?lang=fr|en` first, then the language the store knows for the link, then the
 * browser's, then the default.
 */
export function emailRoutes(deps: EmailRouteDeps): Route[] {
  const { translator, log } = deps;

  // Read from the raw URL (never throws), whichever query parser the server has or has not.
  const queryOf = (req: Request): URLSearchParams => {
    const url = req.url ?? '';
    const at = url.indexOf('?');
    return new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
  };

  const requested = (query: URLSearchParams): Locale | undefined => {
    const lang = query.get('lang')?.trim().toLowerCase();
    return isLocale(lang) ? lang : undefined;
  };

  const browserLocale = (req: Request): Locale =>
    localeFrom(
      (req.headers['accept-language'] ?? '').split(',')[0]?.split(';')[0],
      deps.defaultLocale,
    );

  const plainPage = (
    res: Response,
    status: number,
    locale: Locale,
    key: 'missing' | 'invalid' | 'expired' | 'unavailable' | 'already' | 'revoked',
  ): void => {
    const t = translator(locale);
    sendPage(res, status, locale, {
      title: t(`pages.${key}.title`),
      lines: [t(`pages.${key}.body`)],
    });
  };

  /**
   * What a GET of a link shows: one button that posts the token back. The form's action is
   * relative, so it posts to this very route behind any path prefix; the unsubscribe form also
   * carries RFC 8058's `List-Unsubscribe=One-Click`, as a mail provider's one-click POST does.
   */
  const buttonPage = (
    res: Response,
    locale: Locale,
    token: string,
    page: 'confirm' | 'unsubscribe',
  ): void => {
    const t = translator(locale);
    const action = new URLSearchParams({ token, lang: locale });
    sendPage(res, 200, locale, {
      title: t(`pages.${page}.title`),
      lines: [t(`pages.${page}.body`)],
      form: {
        action: `?${action.toString()}`,
        button: t(`pages.${page}.button`),
        ...(page === 'unsubscribe' ? { oneClick: true } : {}),
      },
    });
  };

  // Mail security scanners open every link of a message before the person does: a GET that
  // confirmed would let a machine give consent. The GET only shows the button; the POST confirms.
  // eslint-disable-next-line @typescript-eslint/require-await -- one signature for every page
  const confirmPage = async (req: Request, res: Response) => {
    const query = queryOf(req);
    const token = tokenOf(query);
    const locale = requested(query) ?? browserLocale(req);
    if (!token) {
      plainPage(res, 400, locale, 'missing');
      return;
    }
    buttonPage(res, locale, token, 'confirm');
  };

  const confirm = async (req: Request, res: Response) => {
    const query = queryOf(req);
    const token = tokenOf(query);
    const override = requested(query);
    if (!token) {
      log.info('email.confirm', { outcome: 'missing-token' });
      plainPage(res, 400, override ?? browserLocale(req), 'missing');
      return;
    }
    let result: ConfirmResult;
    try {
      result = await deps.confirm(token);
    } catch (error) {
      log.error('email.confirm_failed', errorFields(error));
      plainPage(res, 503, override ?? browserLocale(req), 'unavailable');
      return;
    }
    log.info('email.confirm', { outcome: result.outcome });
    // An unknown token has no language on file: the browser's is a better guess than a default.
    const locale =
      override ?? (result.outcome === 'expired-or-unknown' ? browserLocale(req) : result.locale);
    if (result.outcome === 'confirmed') {
      const t: Translate = translator(locale);
      sendPage(res, 200, locale, {
        title: t('pages.confirmed.title'),
        lines: [
          ...(result.purposeTitle
            ? [t('pages.confirmed.purpose', { purpose: result.purposeTitle })]
            : []),
          t('pages.confirmed.body'),
        ],
      });
    } else if (result.outcome === 'already') {
      plainPage(res, 200, locale, 'already');
    } else if (result.outcome === 'revoked') {
      plainPage(res, 410, locale, 'revoked');
    } else {
      plainPage(res, 410, locale, 'expired');
    }
  };

  // Mail scanners and link previews follow every link in a message: a GET must change nothing.
  // eslint-disable-next-line @typescript-eslint/require-await -- one signature for every page
  const unsubscribePage = async (req: Request, res: Response) => {
    const query = queryOf(req);
    const token = tokenOf(query);
    const locale = requested(query) ?? browserLocale(req);
    if (!token) {
      plainPage(res, 400, locale, 'missing');
      return;
    }
    if (!deps.isUnsubscribeToken(token)) {
      log.info('email.unsubscribe_page', { valid: false });
      plainPage(res, 400, locale, 'invalid');
      return;
    }
    buttonPage(res, locale, token, 'unsubscribe');
  };

  /**
   * RFC 8058 one-click: the mail provider POSTs `List-Unsubscribe=One-Click`, our own page posts
   * the same field. The signed token is the authority, so any POST with a valid one withdraws: a
   * stop that is lost because a provider sent another body would be a legal fault.
   */
  const unsubscribe = async (req: Request, res: Response) => {
    const query = queryOf(req);
    const token = tokenOf(query);
    const asked = requested(query) ?? browserLocale(req);
    const body: unknown = req.body;
    const oneClick =
      (typeof body === 'string' && /(^|&)List-Unsubscribe=One-Click(&|$)/.test(body)) ||
      (!!body &&
        typeof body === 'object' &&
        (body as Record<string, unknown>)['List-Unsubscribe'] === 'One-Click');
    if (!token) {
      log.info('email.unsubscribe', { outcome: 'missing-token', oneClick });
      plainPage(res, 400, asked, 'missing');
      return;
    }
    let result: UnsubscribeResult;
    try {
      result = await deps.unsubscribe(token, asked);
    } catch (error) {
      // 5xx: a provider may retry; the person is told nothing changed.
      log.error('email.unsubscribe_failed', errorFields(error));
      plainPage(res, 503, asked, 'unavailable');
      return;
    }
    log.info('email.unsubscribe', { outcome: result.outcome, oneClick });
    const locale = requested(query) ?? result.locale;
    if (result.outcome === 'invalid') {
      plainPage(res, 400, locale, 'invalid');
      return;
    }
    const t = translator(locale);
    const titles = result.purposeTitles ?? [];
    sendPage(res, 200, locale, {
      title: t('pages.unsubscribed.title'),
      lines: [
        ...(titles.length > 0
          ? [t('pages.unsubscribed.purposes', { purposes: listOf(locale, titles) })]
          : []),
        t('pages.unsubscribed.body'),
      ],
    });
  };

  const htmlDoc = (description: string): ResponseDoc => ({ description, mediaType: 'text/html' });
  const linkQuery = z.object({
    token: z.string().meta({ description: 'The signed link token' }),
    lang: z.enum(['en', 'fr']).optional().meta({ description: "The page's language" }),
  });
  /** The pages answer every request themselves, in HTML: a bad link gets a page, not JSON. */
  const page = (
    method: 'GET' | 'POST',
    path: string,
    summary: string,
    responses: Record<number, ResponseDoc>,
    handler: (req: Request, res: Response) => Promise<void>,
  ): Route =>
    route({
      method,
      path,
      summary,
      headers: 'page',
      documentedQuery: linkQuery,
      responses,
      handle: async (_input, { req, res }) => {
        await handler(req, res);
        return undefined;
      },
    });

  return [
    page(
      'GET',
      '/confirm',
      'Double opt-in link: shows a button (mail scanners open links)',
      { 200: htmlDoc('The confirmation page'), 400: htmlDoc('No token') },
      confirmPage,
    ),
    page(
      'POST',
      '/confirm',
      'Confirms the e-mail address: the purpose becomes granted',
      {
        200: htmlDoc('Confirmed, or confirmed already'),
        400: htmlDoc('No token'),
        410: htmlDoc('Expired, unknown or withdrawn since'),
        503: htmlDoc('Store unavailable'),
      },
      confirm,
    ),
    page(
      'GET',
      '/unsubscribe',
      'Unsubscribe link: shows a button',
      { 200: htmlDoc('The unsubscribe page'), 400: htmlDoc('Bad link') },
      unsubscribePage,
    ),
    page(
      'POST',
      '/unsubscribe',
      'Withdraws the purpose (RFC 8058 one-click, or the page button)',
      {
        200: htmlDoc('Withdrawn'),
        400: htmlDoc('Bad link'),
        429: {
          description: 'Too many requests from this address; never with a valid link (a stop)',
        },
        503: htmlDoc('Store unavailable'),
      },
      unsubscribe,
    ),
  ];
}
