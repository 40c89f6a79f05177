import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type ApiToken, type Role } from '../platform/config.js';

/** Who called: a stable id for the access log, and every role they hold. */
export interface Principal {
  /** `token:<role>:<fingerprint>` or `jwt:<issuer>#<subject>`: never the secret itself. */
  readonly id: string;
  readonly roles: readonly Role[];
}

export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' | 'unavailable' };

/** Turns an Authorization header into a principal. Never throws. */
export interface Authenticator {
  authenticate(header: string | undefined): Promise<Authentication>;
}

export type Authorisation =
  | { readonly ok: true; readonly principal: Principal; readonly role: Role }
  | {
      readonly ok: false;
      readonly status: 401 | 403 | 503;
      readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'AUTH_UNAVAILABLE';
    };

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/**
 * The `API_TOKENS` tokens, for local use. Compared constant-time whatever their length, so timing
 * reveals nothing. The principal id carries a fingerprint, so the access log tells two tokens of
 * one role apart without holding either.
 */
export function tokenAuthenticator(tokens: readonly ApiToken[]): Authenticator {
  const known = tokens.map((t) => ({ ...t, digest: digest(t.token) }));
  return {
    authenticate(header) {
      const presented = bearer(header);
      if (!presented) return Promise.resolve({ ok: false, reason: 'missing' });
      const presentedDigest = digest(presented);
      const holder = known.find((t) => timingSafeEqual(t.digest, presentedDigest));
      if (!holder) return Promise.resolve({ ok: false, reason: 'invalid' });
      const fingerprint = holder.digest.toString('hex').slice(0, 12);
      return Promise.resolve({
        ok: true,
        principal: { id: `token:${holder.role}:${fingerprint}`, roles: [holder.role] },
      });
    },
  };
}

export interface JwtOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Where the issuer publishes its signing keys, e.g. Entra ID's `.../discovery/v2.0/keys`. */
  readonly jwksUri: string;
  /** The claim that lists the caller's roles: `roles` for Entra ID app roles. */
  readonly rolesClaim: string;
}

const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

function rolesIn(payload: JWTPayload, claim: string): Role[] {
  // A dotted claim reaches into nested objects, e.g. Keycloak's `realm_access.roles`.
  let value: unknown = payload;
  for (const part of claim.split('.')) {
    value =
      value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  const listed = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : [];
  return [...new Set(listed.filter(isRole))];
}

/**
 * JWT bearer tokens for production: signature checked against the issuer's JWKS (fetched and
 * cached by jose, refreshed when an unknown key id appears), issuer, audience, expiry and
 * not-before checked, asymmetric algorithms only. Roles come from the configured claim; a token
 * with none of ours authenticates but is forbidden everywhere.
 */
export function jwtAuthenticator(options: JwtOptions): Authenticator {
  const keys = createRemoteJWKSet(new URL(options.jwksUri), { timeoutDuration: 5000 });
  return {
    async authenticate(header) {
      const presented = bearer(header);
      if (!presented) return { ok: false, reason: 'missing' };
      try {
        const { payload } = await jwtVerify(presented, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'],
          clockTolerance: 60,
        });
        const subject = typeof payload.oid === 'string' ? payload.oid : payload.sub;
        if (!subject) return { ok: false, reason: 'invalid' };
        return {
          ok: true,
          principal: {
            id: `jwt:${options.issuer}#${subject}`,
            roles: rolesIn(payload, options.rolesClaim),
          },
        };
      } catch (error) {
        // The issuer's keys could not be fetched: not the caller's fault, and not a 401.
        if (error instanceof errors.JWKSTimeout || isFetchFailure(error)) {
          return { ok: false, reason: 'unavailable' };
        }
        return { ok: false, reason: 'invalid' };
      }
    },
  };
}

function isFetchFailure(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  );
}

/** Tries each authenticator in turn: a token either one accepts is accepted. */
export function anyOf(authenticators: readonly Authenticator[]): Authenticator {
  return {
    async authenticate(header) {
      const failures: Authentication[] = [];
      for (const authenticator of authenticators) {
        const result = await authenticator.authenticate(header);
        if (result.ok) return result;
        failures.push(result);
      }
      // An issuer that could not be asked outweighs "invalid": the token may well be good.
      const unavailable = failures.some((f) => !f.ok && f.reason === 'unavailable');
      return unavailable
        ? { ok: false, reason: 'unavailable' }
        : (failures.at(-1) ?? { ok: false, reason: 'missing' });
    },
  };
}

/** Authenticates, then requires one of `allowed`; the role used is the first allowed one held. */
export async function authorise(
  header: string | undefined,
  auth: Authenticator,
  allowed: readonly Role[],
): Promise<Authorisation> {
  const result = await auth.authenticate(header);
  if (!result.ok) {
    return result.reason === 'unavailable'
      ? { ok: false, status: 503, code: 'AUTH_UNAVAILABLE' }
      : { ok: false, status: 401, code: 'UNAUTHENTICATED' };
  }
  const role = allowed.find((r) => result.principal.roles.includes(r));
  if (!role) return { ok: false, status: 403, code: 'FORBIDDEN' };
  return { ok: true, principal: result.principal, role };
}
