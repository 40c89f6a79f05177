import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken, Role } from './config.js';

export type Authorisation =
  | { readonly ok: true; readonly role: Role }
  | {
      readonly ok: false;
      readonly status: 401 | 403;
      readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN';
    };

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Bearer token check, constant-time whatever the token length, so timing reveals nothing. */
export function authorise(
  header: string | undefined,
  tokens: readonly ApiToken[],
  allowed: readonly Role[],
): Authorisation {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const presented = match?.[1];
  if (!presented) return { ok: false, status: 401, code: 'UNAUTHENTICATED' };
  const presentedDigest = digest(presented);
  const holder = tokens.find((t) => timingSafeEqual(digest(t.token), presentedDigest));
  if (!holder) return { ok: false, status: 401, code: 'UNAUTHENTICATED' };
  if (!allowed.includes(holder.role)) return { ok: false, status: 403, code: 'FORBIDDEN' };
  return { ok: true, role: holder.role };
}
