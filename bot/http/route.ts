import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { AccessLog, AccessRecord } from '../../consent/access-log.js';
import type { Subject } from '../../consent/subject.js';
import type { Role } from '../platform/config.js';
import { errorFields, type Logger } from '../platform/log.js';
import { authorise, type Authenticator, type Principal } from './auth.js';
import { fail, ID_RULE, MAX_ID_CHARS } from './http-common.js';
import { applySecurityHeaders, type HeaderSet } from './security-headers.js';

/**
 * One HTTP route, declared once: what it takes (zod schemas), who may call it, what it answers, and
 * the handler. `mount` registers routes on restify; bot/http/openapi.ts describes them from the
 * same declarations, so the document cannot drift from the code.
 */

/** An authenticated API caller, and the role under which this request is allowed. */
export interface Caller {
  readonly principal: Principal;
  readonly role: Role;
}

/** A client error the handler found: sent as `{ code, message, ...extra }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** One problem of a request: where (a dotted path, '' for the whole) and what. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** A 400 in the one shape every validation failure has, for checks a schema cannot make. */
export function invalid(code: string, message: string, path = ''): HttpError {
  return new HttpError(400, code, path ? `${path}: ${message}` : message, {
    issues: [{ path, message }],
  });
}

/** The access log could not take the record: the data is not sent (GDPR art. 5(2)). */
class AccessUnrecorded extends Error {}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Context {
  readonly req: Request;
  /** For a handler that writes the response itself (streams, pages): it then returns undefined. */
  readonly res: Response;
  /** The caller; on a public route, nobody (`PUBLIC`). */
  readonly caller: Caller;
  /**
   * Leaves the trace of an access to personal data (GDPR art. 5(2)) under the route's `access`
   * action. Call it before any data is sent: when the trace cannot be written, the caller gets a
   * 503 and no data.
   */
  readonly access: (target: string, detail?: AccessRecord['detail']) => Promise<void>;
}

/**
 * The caller of a public route: holds no role. Its `role` only fills the type: a public route can
 * never record an access (recordAccess refuses), so it is never written anywhere.
 */
export const PUBLIC: Caller = { principal: { id: 'public', roles: [] }, role: 'agent' };

export interface ResponseDoc {
  readonly description: string;
  /** The JSON body; none for an answer without one. */
  readonly schema?: z.ZodType;
  /** Another media type than JSON (streams, pages), documented as text. */
  readonly mediaType?: string;
  readonly headers?: Readonly<Record<string, { description: string; schema: object }>>;
}

type Shape = z.ZodType | undefined;
type Out<S extends Shape> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<P extends Shape, Q extends Shape, B extends Shape> {
  readonly method: 'GET' | 'POST';
  /** restify's syntax: `/api/subjects/:channelId/:userId/consents`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** Who may call; absent on a public route. */
  readonly roles?: readonly Role[];
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /**
   * A query the handler reads itself (the e-mail pages answer a bad link with a page, not JSON):
   * documented, never validated here.
   */
  readonly documentedQuery?: z.ZodType;
  /** The code of a validation failure no field names a code for (default INVALID_REQUEST). */
  readonly invalid?: string;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** The access-log action this route records: it reads, or deletes, personal data. */
  readonly access?: string;
  /** The log event when the store fails (a 503). */
  readonly failure?: string;
  readonly cache?: 'no-store' | 'no-cache';
  /** A stricter set of security headers than the API's (bot/http/security-headers.ts). */
  readonly headers?: HeaderSet;
  /** Validated input; a Reply, or undefined once the handler has written the response itself. */
  readonly handle: (
    input: { readonly params: Out<P>; readonly query: Out<Q>; readonly body: Out<B> },
    context: Context,
  ) => Promise<Reply | undefined>;
}

export type Route = RouteSpec<Shape, Shape, Shape>;

/** Declares a route, typing the handler's input from the schemas. */
export function route<
  P extends Shape = undefined,
  Q extends Shape = undefined,
  B extends Shape = undefined,
>(spec: RouteSpec<P, Q, B>): Route {
  return spec;
}

// ---- Schemas the routes share ----

/** Where a field's failure gets its own code (INVALID_DATE, INVALID_LIMIT...), documented too. */
export const ERROR_CODE = 'x-error-code';

/** Gives a field its own validation code. Apply it last, so the code stays on the field. */
export const coded = <S extends z.ZodType>(schema: S, code: string): S =>
  schema.meta({ [ERROR_CODE]: code });

/**
 * A channel's id (channel, user, conversation, activity, purpose): one limit on every route; see
 * MAX_ID_CHARS.
 */
export const id = z
  .string({ error: `must be ${ID_RULE}` })
  .min(1, { error: `must be ${ID_RULE}` })
  .max(MAX_ID_CHARS, { error: `must be ${ID_RULE}` });

/**
 * A query string's parameters. Unknown ones are refused: a misspelt filter (`purpose=` for
 * `purposeId=`) would otherwise answer about everyone when one purpose was meant.
 */
export function queryObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: ${allowed || 'none'}`
        : undefined,
  });
}

/** `/:channelId/:userId`: the person a route is about. */
export const subjectParams = z.object({
  channelId: coded(
    id.meta({ description: 'The channel, e.g. msteams or webchat' }),
    'INVALID_SUBJECT',
  ),
  userId: coded(id.meta({ description: "The person's id on that channel" }), 'INVALID_SUBJECT'),
});

/** Every API error. */
export const ErrorBody = z
  .looseObject({
    code: z.string().regex(/^[A-Z_]+$/),
    message: z.string(),
  })
  .meta({ id: 'Error' });

/** Every validation failure: the first problem in `message`, all of them in `issues`. */
export const InvalidBody = z
  .looseObject({
    code: z.string().regex(/^[A-Z_]+$/),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).min(1),
  })
  .meta({ id: 'InvalidRequest' });

export const error = (description: string): ResponseDoc => ({ description, schema: ErrorBody });
export const invalidRequest = (description: string): ResponseDoc => ({
  description,
  schema: InvalidBody,
});

// ---- Mounting ----

export interface MountDeps {
  readonly auth: Authenticator;
  /** Where routes with an `access` action record each access; required when one has. */
  readonly accessLog?: AccessLog;
  readonly log: Logger;
}

/**
 * The caller, or an HttpError. Authorisation comes first, so a caller without the right role
 * learns nothing, not even whether the input was valid.
 */
async function admit(req: Request, res: Response, auth: Authenticator, roles: readonly Role[]) {
  const access = await authorise(req.header('authorization'), auth, roles);
  if (access.ok) return { principal: access.principal, role: access.role };
  if (access.status === 401) res.header('WWW-Authenticate', 'Bearer');
  throw new HttpError(
    access.status,
    access.code,
    access.status === 503
      ? 'the token issuer cannot be reached to check the token, try again'
      : `a bearer token of role ${roles.join(' or ')} is required`,
  );
}

/** The code a field of an object schema gives its failures, if it names one. */
function fieldCode(schema: z.ZodType, field: PropertyKey | undefined): string | undefined {
  if (!(schema instanceof z.ZodObject) || typeof field !== 'string') return undefined;
  const code = (schema.shape as Record<string, z.ZodType | undefined>)[field]?.meta()?.[ERROR_CODE];
  return typeof code === 'string' ? code : undefined;
}

/** The code a schema gives its failures: the issue's own, else its field's, else the route's. */
function codeOf(issue: z.core.$ZodIssue, schema: z.ZodType, fallback: string): string {
  const own =
    issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  if (typeof own === 'string') return own;
  return fieldCode(schema, issue.path[0]) ?? fallback;
}

/**
 * The value as the schema reads it, or an HttpError 400 in the one validation shape: the first
 * issue's code (its own, its field's, else `fallback`) and every issue. The command line tools
 * validate their options with the same schemas through it.
 */
export function parsed(schema: Shape, value: unknown, fallback: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const [first] = result.error.issues;
  const [shown] = issues;
  throw new HttpError(
    400,
    first ? codeOf(first, schema, fallback) : fallback,
    shown?.path ? `${shown.path}: ${shown.message}` : (shown?.message ?? 'invalid request'),
    { issues },
  );
}

/** The query as single strings: a repeated parameter would be an array the schemas never expect. */
function singleValued(query: unknown, schema: z.ZodType, fallback: string): unknown {
  const raw = (query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw invalid(fieldCode(schema, name) ?? fallback, 'must be given once, as text', name);
    }
  }
  return raw;
}

/** Registers the routes: authorise, validate, handle; client errors 4xx, store failures 503. */
export function mount(server: Server, routes: readonly Route[], deps: MountDeps): void {
  for (const spec of routes) {
    const register = spec.method === 'GET' ? server.get.bind(server) : server.post.bind(server);
    register(spec.path, async (req: Request, res: Response) => {
      if (spec.headers) applySecurityHeaders(res, spec.headers);
      if (spec.cache) res.header('Cache-Control', spec.cache);
      let caller = PUBLIC;
      try {
        if (spec.roles) caller = await admit(req, res, deps.auth, spec.roles);
        const fallback = spec.invalid ?? 'INVALID_REQUEST';
        const input = {
          params: parsed(spec.params, req.params ?? {}, fallback),
          query: spec.query
            ? parsed(spec.query, singleValued(req.query, spec.query, fallback), fallback)
            : undefined,
          body: parsed(spec.body, req.body, fallback),
        };
        const context: Context = {
          req,
          res,
          caller,
          access: (target, detail) => recordAccess(deps, spec, caller, target, detail),
        };
        const reply = await spec.handle(input, context);
        if (!reply) return;
        for (const [name, value] of Object.entries(reply.headers ?? {})) res.header(name, value);
        if (reply.body === undefined) res.send(reply.status);
        else res.send(reply.status, reply.body);
      } catch (error) {
        failed(res, deps.log, spec, caller, error);
      }
    });
  }
}

async function recordAccess(
  deps: MountDeps,
  spec: Route,
  caller: Caller,
  target: string,
  detail?: AccessRecord['detail'],
): Promise<void> {
  if (!spec.access || !spec.roles || !deps.accessLog) {
    throw new Error(`${spec.method} ${spec.path}: no access action, no roles or no access log`);
  }
  try {
    await deps.accessLog.record({
      at: new Date().toISOString(),
      principal: caller.principal.id,
      role: caller.role,
      action: spec.access,
      target,
      ...(detail ? { detail } : {}),
    });
  } catch {
    throw new AccessUnrecorded();
  }
}

function failed(res: Response, log: Logger, spec: Route, caller: Caller, error: unknown): void {
  if (error instanceof HttpError) {
    fail(res, error.status, error.code, error.message, error.extra);
    return;
  }
  if (error instanceof AccessUnrecorded) {
    fail(res, 503, 'STORE_UNAVAILABLE', 'the access log is unavailable, try again');
    return;
  }
  log.error(spec.failure ?? 'api.failed', {
    ...(spec.roles ? { role: caller.role } : {}),
    ...errorFields(error),
  });
  // A response already under way (a stream) cannot change its status any more.
  if (res.headersSent) return;
  // Repeating is safe: a route that changes data does so idempotently (an erasure suppresses first).
  fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable; try again, it is safe to');
}

/**
 * The person as the ledger knows them (its pseudonym); a 400 when the ids cannot name a person
 * (the pseudonymiser refuses them with a RangeError).
 */
export function personOf(
  ledgerSubjectOf: (subject: Subject) => Subject,
  subject: Subject,
): Subject {
  try {
    return ledgerSubjectOf(subject);
  } catch (error) {
    if (error instanceof RangeError) {
      throw invalid('INVALID_SUBJECT', 'these ids cannot name a person');
    }
    throw error;
  }
}
