import type { Request, Response } from 'restify';
import type { Subject } from '../consent/subject.js';
import { authorise } from './auth.js';
import type { ApiToken, Role } from './config.js';

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

export const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 1024;

/** `{ channelId, userId }` with two ids, and nothing else read from it. */
export function subjectFrom(value: unknown): Subject | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { channelId, userId } = value as Record<string, unknown>;
  return isId(channelId) && isId(userId) ? { channelId, userId } : undefined;
}

/**
 * The caller's role and the person named by `/:channelId/:userId`, or undefined once a 401, 403
 * or 400 has been sent. Authorisation comes first: a caller without a token learns nothing.
 */
export function admitSubject(
  req: Request,
  res: Response,
  tokens: readonly ApiToken[],
  roles: readonly Role[],
): { role: Role; subject: Subject } | undefined {
  const access = authorise(req.header('authorization'), tokens, roles);
  if (!access.ok) {
    fail(
      res,
      access.status,
      access.code,
      `a bearer token of role ${roles.join(' or ')} is required`,
    );
    return undefined;
  }
  const subject = subjectFrom(req.params);
  if (!subject) {
    fail(res, 400, 'INVALID_SUBJECT', 'channelId and userId must be 1 to 1024 characters');
    return undefined;
  }
  return { role: access.role, subject };
}
