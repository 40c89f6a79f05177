import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../bot/platform/config.js';
import { MAX_SEARCH_LIMIT } from '../storage/search-rules.js';
import {
  AGENT,
  COMPLIANCE,
  customer,
  MARKETING,
  startServer,
  type Running,
} from './http-harness.js';

/**
 * The served OpenAPI document against the real server: every route is described and every
 * description is routed; every secured operation answers 401 without a token and 403 to each
 * role it does not list; and real answers validate against the documented schemas.
 */

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly schema: Record<string, unknown>;
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly roles?: readonly Role[];
  readonly parameters: readonly Parameter[];
  readonly responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Document {
  readonly openapi: string;
  readonly paths: Record<
    string,
    Record<
      string,
      {
        'x-roles'?: readonly Role[];
        parameters: readonly Parameter[];
        responses: Operation['responses'];
      }
    >
  >;
  readonly components: unknown;
}

const TOKENS: Record<Role, string> = {
  compliance: COMPLIANCE,
  agent: AGENT,
  marketing: MARKETING,
};

/** A real route of the server, for an operation of the document. */
const concrete = (path: string): string =>
  path
    .replaceAll('{channelId}', 'webchat')
    .replaceAll('{userId}', 'openapi-user')
    .replaceAll('{conversationId}', 'conv-openapi-user')
    .replaceAll(/\{\w+\}/g, 'some-id');

let running: Running;
let document: Document;
let operations: Operation[];

beforeAll(async () => {
  running = await startServer();
  const person = customer(running.url, 'openapi-user', 'en');
  await person.join();
  await person.say('no');
  const response = await fetch(`${running.url}/api/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as Document;
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, { 'x-roles': roles, parameters, responses }]) => ({
      method: method.toUpperCase(),
      path,
      parameters,
      responses,
      ...(roles ? { roles } : {}),
    })),
  );
});

afterAll(() => running.close());

const call = (operation: Pick<Operation, 'method' | 'path'>, token?: string, query = '') =>
  fetch(`${running.url}${concrete(operation.path)}${query}`, {
    method: operation.method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(operation.method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    ...(operation.method === 'POST' ? { body: '{}' } : {}),
  });

function validator() {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'api', components: document.components });
  return (operation: Operation, status: number, body: unknown): void => {
    const documented = operation.responses[String(status)];
    expect(documented, `${operation.method} ${operation.path} documents ${status}`).toBeDefined();
    const schema = documented?.content?.['application/json']?.schema;
    if (!schema) return;
    const rooted = JSON.parse(
      JSON.stringify(schema).replaceAll('"#/components/', '"api#/components/'),
    ) as object;
    const validate = ajv.compile(rooted);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  };
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes exactly the routes the server has', () => {
    expect(document.openapi).toBe('3.1.0');
    const routes = Object.values(running.app.server.router.getRoutes()).map(
      (route) => `${route.spec.method} ${String(route.spec.path).replace(/:(\w+)/g, '{$1}')}`,
    );
    const described = operations.map((o) => `${o.method} ${o.path}`);
    expect([...described].sort()).toEqual([...routes].sort());
  });

  it('has a role list on every /api operation but the bot and itself', () => {
    const open = operations.filter((o) => o.path.startsWith('/api/') && !o.roles);
    expect(open.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'GET /api/openapi.json',
      'POST /api/messages',
    ]);
  });

  it('answers 401 without a token, or with an unknown one, on every secured operation', async () => {
    const check = validator();
    const secured = operations.filter((o) => o.roles);
    expect(secured.length).toBeGreaterThan(8);
    for (const operation of secured) {
      for (const token of [undefined, 'not-a-token-of-this-server']) {
        const response = await call(operation, token);
        const label = `${operation.method} ${operation.path} with ${token ?? 'no token'}`;
        expect(response.status, label).toBe(401);
        expect(response.headers.get('www-authenticate'), label).toBe('Bearer');
        expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
        check(operation, 401, await response.json());
      }
    }
  });

  it('answers 403 to every role an operation does not list', async () => {
    const check = validator();
    let forbidden = 0;
    for (const operation of operations.filter((o) => o.roles)) {
      for (const role of ROLES.filter((r) => !operation.roles?.includes(r))) {
        const response = await call(operation, TOKENS[role]);
        expect(response.status, `${operation.method} ${operation.path} as ${role}`).toBe(403);
        check(operation, 403, await response.json());
        forbidden += 1;
      }
    }
    expect(forbidden).toBeGreaterThan(5);
  });

  it('documents the answers the routes really give', async () => {
    const check = validator();
    const find = (method: string, path: string): Operation => {
      const operation = operations.find((o) => o.method === method && o.path === path);
      if (!operation) throw new Error(`${method} ${path} is not documented`);
      return operation;
    };
    const cases: [
      method: string,
      path: string,
      role: Role | undefined,
      query: string,
      status: number,
    ][] = [
      ['GET', '/healthz', undefined, '', 200],
      ['GET', '/readyz', undefined, '', 200],
      ['GET', '/api/subjects/{channelId}/{userId}/consents', 'agent', '', 200],
      ['GET', '/api/subjects/{channelId}/{userId}/verify', 'compliance', '', 200],
      [
        'GET',
        '/api/subjects/{channelId}/{userId}/contact-permissions',
        'marketing',
        '?purpose=newsletter',
        200,
      ],
      [
        'GET',
        '/api/subjects/{channelId}/{userId}/contact-permissions',
        'marketing',
        '?purpose=nope',
        400,
      ],
      ['GET', '/api/subjects/{channelId}/{userId}/receipts', 'agent', '', 200],
      ['GET', '/api/subjects/{channelId}/{userId}/receipts/{eventId}', 'agent', '', 404],
      ['GET', '/api/subjects/{channelId}/{userId}/export', 'agent', '', 200],
      ['GET', '/api/reports/opt-out-reasons', 'compliance', '?from=2026-01-01&to=2026-12-31', 200],
      ['GET', '/api/reports/opt-out-reasons', 'compliance', '?from=yesterday', 400],
      ['POST', '/api/contact-permissions', 'marketing', '', 400],
      ['POST', '/api/handoffs', 'agent', '', 400],
      ['GET', '/api/compliance/events', 'compliance', '?purposeId=newsletter', 200],
      ['GET', '/api/compliance/events', 'compliance', '?limit=0', 400],
      ['GET', '/api/compliance/conversations', 'compliance', '?channelId=webchat', 200],
      ['GET', '/api/compliance/conversations/{channelId}/{conversationId}', 'compliance', '', 200],
      ['GET', '/api/compliance/aggregates', 'compliance', '?from=2026-01-01&to=2027-01-01', 200],
      ['GET', '/api/compliance/verify', 'compliance', '', 200],
      ['GET', '/api/compliance/access-log', 'compliance', '', 200],
      ['GET', '/api/handoffs/{id}', 'agent', '', 404],
    ];
    for (const [method, path, role, query, status] of cases) {
      const response = await call({ method, path }, role && TOKENS[role], query);
      expect(response.status, `${method} ${path}${query}`).toBe(status);
      check(find(method, path), status, await response.json());
    }
  });

  it('gives every 400 the one shape of a validation failure: code, message and issues', () => {
    const invalid = operations.filter((o) => o.responses['400']);
    expect(invalid.length).toBeGreaterThan(15);
    for (const operation of invalid) {
      const schema = operation.responses['400']?.content?.['application/json']?.schema;
      // The e-mail pages answer a bad link with a page for the person, not JSON.
      if (operation.path === '/confirm' || operation.path === '/unsubscribe') continue;
      expect(schema, `${operation.method} ${operation.path}`).toEqual({
        $ref: '#/components/schemas/InvalidRequest',
      });
    }
  });

  it('documents one page limit, the stores own, on every search', () => {
    const paged = operations.filter((o) => o.parameters.some((p) => p.name === 'limit'));
    expect(paged.map((o) => o.path).sort()).toEqual([
      '/api/compliance/access-log',
      '/api/compliance/conversations',
      '/api/compliance/events',
    ]);
    for (const operation of paged) {
      const limit = operation.parameters.find((p) => p.name === 'limit');
      expect(limit?.schema).toMatchObject({
        type: 'integer',
        minimum: 1,
        maximum: MAX_SEARCH_LIMIT,
      });
    }
  });

  it('documents each field a bad value of which has its own code', () => {
    const events = operations.find((o) => o.path === '/api/compliance/events');
    const codes = Object.fromEntries(
      (events?.parameters ?? []).map((p) => [p.name, p.schema['x-error-code']]),
    );
    expect(codes).toMatchObject({
      from: 'INVALID_DATE',
      to: 'INVALID_DATE',
      limit: 'INVALID_LIMIT',
      after: 'INVALID_CURSOR',
      decision: 'INVALID_DECISION',
      userId: 'INVALID_SUBJECT',
    });
  });
});
