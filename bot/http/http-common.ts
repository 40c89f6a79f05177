import type { Request, Response } from 'restify';
import type { AccessLog, AccessRecord } from '../../consent/access-log.js';
import type { Subject } from '../../consent/subject.js';
import { authorise, type Authenticator, type Principal } from './auth.js';
import type { Role } from '../platform/config.js';

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
 * check MAX_ID_CHARS and answer a clear 400.
 */
export const ROUTER_OPTIONS = { maxParamLength: 64 * 1024 } as const;

/** `{ channelId, userId }` with two ids, and nothing else read from it. */
export function subjectFrom(value: unknown): Subject | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { channelId, userId } = value as Record<string, unknown>;
  return isId(channelId) && isId(userId) ? { channelId, userId } : undefined;
}

/** An authenticated API caller, and the role under which this request is allowed. */
export interface Caller {
  readonly principal: Principal;
  readonly role: Role;
}

/**
 * The caller, or undefined once a 401, 403 or 503 has been sent. Authorisation comes first, so a
 * caller without the right role learns nothing, not even whether the input was valid.
 */
export async function admit(
  req: Request,
  res: Response,
  auth: Authenticator,
  roles: readonly Role[],
): Promise<Caller | undefined> {
  const access = await authorise(req.header('authorization'), auth, roles);
  if (access.ok) return { principal: access.principal, role: access.role };
  if (access.status === 401) res.header('WWW-Authenticate', 'Bearer');
  const message =
    access.status === 503
      ? 'the token issuer cannot be reached to check the token, try again'
      : `a bearer token of role ${roles.join(' or ')} is required`;
  fail(res, access.status, access.code, message);
  return undefined;
}

/** The caller and the person named by `/:channelId/:userId`, or undefined once an error is sent. */
export async function admitSubject(
  req: Request,
  res: Response,
  auth: Authenticator,
  roles: readonly Role[],
): Promise<(Caller & { subject: Subject }) | undefined> {
  const caller = await admit(req, res, auth, roles);
  if (!caller) return undefined;
  const subject = subjectFrom(req.params);
  if (!subject) {
    fail(res, 400, 'INVALID_SUBJECT', `channelId and userId must be ${ID_RULE}`);
    return undefined;
  }
  return { ...caller, subject };
}

/**
 * Leaves the trace of an access to personal data (GDPR art. 5(2)) before the data is sent: when
 * the trace cannot be written, the caller gets a 503 and no data. Resolves to false then.
 */
export async function recordAccess(
  res: Response,
  accessLog: AccessLog,
  caller: Caller,
  action: string,
  target: string,
  detail?: AccessRecord['detail'],
): Promise<boolean> {
  try {
    await accessLog.record({
      at: new Date().toISOString(),
      principal: caller.principal.id,
      role: caller.role,
      action,
      target,
      ...(detail ? { detail } : {}),
    });
    return true;
  } catch {
    fail(res, 503, 'STORE_UNAVAILABLE', 'the access log is unavailable, try again');
    return false;
  }
}
