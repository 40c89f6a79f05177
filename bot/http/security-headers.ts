import type { Response } from 'restify';

/**
 * The security headers of every answer, in one place. `api` goes on every response, 404s, 405s and
 * body-parser errors included: a browser must never sniff a JSON answer (which can quote input)
 * into HTML or script (OWASP Secure Headers Project). The pages add their own, stricter sets.
 */
export const SECURITY_HEADERS = {
  api: { 'X-Content-Type-Options': 'nosniff' },
  /**
   * The compliance console runs only our own files and talks only to this server: no inline
   * script, so injected markup cannot run; no framing, so it cannot be clickjacked.
   */
  console: {
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  },
  /**
   * The e-mail link pages carry a token in their URL: no referrer may carry it elsewhere. They have
   * no script, no remote resource, and post forms only to us; nobody may frame them (a framed
   * "stop" button could be clicked by trickery).
   */
  page: {
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

export type HeaderSet = keyof typeof SECURITY_HEADERS;

/**
 * Sets one named set on a response. setHeader replaces: restify's res.header would append a second
 * value to the nosniff the server already set.
 */
export function applySecurityHeaders(res: Response, set: HeaderSet): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS[set])) res.setHeader(name, value);
}
