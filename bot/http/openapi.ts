import { z } from 'zod';
import { ROLES } from '../platform/config.js';
import { ErrorBody, InvalidBody, type ResponseDoc, type Route } from './route.js';

/**
 * The OpenAPI 3.1 description of the API, generated from the route declarations with zod's own
 * JSON Schema output (JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Schemas given an `id`
 * with `.meta({ id })` become components and are referred to by `$ref`.
 * test/openapi.test.ts holds the document against the running server.
 */

type JsonSchema = Record<string, unknown>;

/** Past a client address's budget (README, Rate limits); Retry-After says when to come back. */
const RATE_LIMITED = {
  description: 'Too many requests from this client address (or failed authentications)',
  headers: {
    'Retry-After': { description: 'Seconds until the budget is back', schema: { type: 'integer' } },
  },
};

/** Schemas to JSON Schema, with shared ones collected as components. */
class Schemas {
  readonly components: Record<string, JsonSchema> = {};

  of(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    const {
      $schema: _schema,
      $defs,
      ...rest
    } = generated as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    for (const [name, definition] of Object.entries($defs ?? {})) {
      this.components[name] = this.#rooted(definition) as JsonSchema;
    }
    // A schema with an id is itself a component: zod answers `$ref` to it, and puts it in $defs.
    return this.#rooted(rest) as JsonSchema;
  }

  #rooted(schema: JsonSchema): unknown {
    return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/'));
  }
}

/** `:name` to `{name}`. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

function parameters(schemas: Schemas, where: 'path' | 'query', schema: z.ZodType | undefined) {
  if (!schema) return [];
  const object = schemas.of(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function response(schemas: Schemas, doc: ResponseDoc) {
  const content = doc.schema
    ? { 'application/json': { schema: schemas.of(doc.schema, 'output') } }
    : doc.mediaType
      ? { [doc.mediaType]: { schema: { type: 'string' } } }
      : undefined;
  return {
    description: doc.description,
    ...(content ? { content } : {}),
    ...(doc.headers ? { headers: doc.headers } : {}),
  };
}

function operation(schemas: Schemas, spec: Route) {
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(spec.responses)) {
    responses[status] = response(schemas, doc);
  }
  const error = (description: string) => response(schemas, { description, schema: ErrorBody });
  if (spec.roles) {
    responses['401'] ??= error('No bearer token, or not one this server accepts');
    responses['403'] ??= error(`The token holds none of the roles: ${spec.roles.join(', ')}`);
    responses['503'] ??= error('The store, or the token issuer, is unavailable; safe to retry');
  }
  if ((spec.params || spec.query || spec.body) && !responses['400']) {
    responses['400'] = response(schemas, { description: 'Invalid input', schema: InvalidBody });
  }
  // The rate limits (bot/chat/rate-limits.ts) stand before the API and the e-mail link pages; the
  // probes and the console's static files have none.
  if (spec.path.startsWith('/api/') || ['/confirm', '/unsubscribe'].includes(spec.path)) {
    responses['429'] ??= RATE_LIMITED;
  }
  return {
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    parameters: [
      ...parameters(schemas, 'path', spec.params),
      ...parameters(schemas, 'query', spec.query ?? spec.documentedQuery),
    ],
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemas.of(spec.body, 'input') } },
          },
        }
      : {}),
    ...(spec.roles ? { security: [{ bearer: [] }], 'x-roles': spec.roles } : {}),
    ...(spec.access ? { 'x-access-log': spec.access } : {}),
    responses,
  };
}

export function openApiDocument(
  serverUrl: string,
  routes: readonly Route[],
): Record<string, unknown> {
  const schemas = new Schemas();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const path = openApiPath(spec.path);
    paths[path] = { ...paths[path], [spec.method.toLowerCase()]: operation(schemas, spec) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Consent bot API',
      version: '1',
      description:
        'Consent conversations (Bot Framework), e-mail links, and the APIs of support agents, ' +
        'marketing systems and compliance officers. Roles: ' +
        ROLES.join(', ') +
        '. Tokens: API_TOKENS, or JWTs from the configured issuer with roles in a claim. Every ' +
        'invalid request is a 400 with `issues`: each problem, with the path of its field.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API_TOKENS token, or a JWT signed by JWT_ISSUER (roles claim)',
        },
      },
      schemas: schemas.components,
    },
    paths,
  };
}
