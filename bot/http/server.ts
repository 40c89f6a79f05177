import restify, { type RequestHandler, type Server } from 'restify';
import type { Request, Response } from 'restify';
import type { AccessLog } from '../../consent/access-log.js';
import type { Authenticator } from './auth.js';
import { errorFields, type Logger } from '../platform/log.js';
import { ROUTER_OPTIONS } from './http-common.js';
import { openApiDocument } from './openapi.js';
import { mount, route, type Route } from './route.js';
import { applySecurityHeaders } from './security-headers.js';
import { z } from 'zod';

export interface ServerDeps {
  /** Every route of the server, each feature's list gathered by bot/app.ts. */
  readonly routes: readonly Route[];
  /** Who may call: API_TOKENS and, when configured, JWT bearer tokens. */
  readonly auth: Authenticator;
  /** Where each access to personal data is recorded before the data is sent. */
  readonly accessLog?: AccessLog;
  readonly log: Logger;
  readonly maxBodyBytes?: number;
  /** Where clients reach this server: the OpenAPI document's server URL. */
  readonly publicUrl: string;
  /**
   * Run after the body and query parsers, before any route: the rate limits, which read whether a
   * message over its budget is a stop from its text.
   */
  readonly middleware?: readonly RequestHandler[];
}

/** GET /api/openapi.json: the description of every route, this one included. */
function openApiRoute(publicUrl: string, routes: readonly Route[]): Route {
  let document: Record<string, unknown> | undefined;
  const self = route({
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    cache: 'no-cache',
    responses: {
      200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.literal('3.1.0') }) },
    },
    handle: () => {
      document ??= openApiDocument(publicUrl, [...routes, self]);
      return Promise.resolve({ status: 200, body: document });
    },
  });
  return self;
}

/** The HTTP shell: restify, its parsers, the security headers, error logging, and the routes. */
export function createServer(deps: ServerDeps): Server {
  const { log } = deps;
  const server = restify.createServer({
    name: 'consent-bot',
    handleUncaughtExceptions: false,
    ...ROUTER_OPTIONS,
  });
  // Before routing, so that 404s, 405s and body-parser errors carry them too.
  server.pre((_req: Request, res: Response, next: restify.Next) => {
    applySecurityHeaders(res, 'api');
    next();
  });
  server.use(
    restify.plugins.bodyParser({ maxBodySize: deps.maxBodyBytes ?? 256 * 1024, mapParams: false }),
  );
  server.use(restify.plugins.queryParser({ mapParams: false }));
  for (const handler of deps.middleware ?? []) server.use(handler);

  mount(server, [...deps.routes, openApiRoute(deps.publicUrl, deps.routes)], deps);

  server.on('restifyError', (req: Request, res: Response, error: Error, callback: () => void) => {
    // No route matched (a 404 or 405): there is no route to name, and throwing here would crash.
    const matched = (req.getRoute() as ReturnType<Request['getRoute']> | undefined)?.path;
    log.warn('http.error', { route: matched ? String(matched) : 'none', ...errorFields(error) });
    callback();
  });
  return server;
}
