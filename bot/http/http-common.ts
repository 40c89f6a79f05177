import type { Response } from 'restify';

/** Every API error has the same shape: a stable code for programs, a sentence for people. */
export function fail(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  res.send(status, { code, message, ...extra });
}

/**
 * The longest id (channel, user, conversation, activity, purpose) the server takes, in characters,
 * on every route and in activities alike. Bot Framework ids are longer than one would guess (Teams:
 * `19:...@thread.tacv2;messageid=...`, `29:` user ids of 100 and more) and may hold `: @ ; = . - _ |`
 * and `%`. 1024 leaves room for all of them, and two such ids, percent-encoded (3 bytes a
 * character), still fit in a URL under Node's 16 KB header limit, so every id an activity brings
 * can be named in the API's paths.
 */
export const MAX_ID_CHARS = 1024;

/** The rule, as error messages state it. */
export const ID_RULE = `1 to ${MAX_ID_CHARS} characters`;

export const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_CHARS;

/**
 * Options of every restify server of this API. find-my-way, restify's router, answers 404 to any
 * path parameter longer than its maxParamLength (100 by default), so a Teams id never reached a
 * handler. The router must not cut ids: its limit is above any URL Node accepts, and the handlers
 * check MAX_ID_CHARS (bot/http/route.ts) and answer a clear 400.
 */
export const ROUTER_OPTIONS = { maxParamLength: 64 * 1024 } as const;
