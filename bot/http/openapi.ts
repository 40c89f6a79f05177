import { DECISIONS, STATUSES } from '../../consent/ledger.js';
import { ROLES, type Role } from '../platform/config.js';
import { MAX_ID_CHARS } from './http-common.js';

/**
 * The OpenAPI 3.1 description of the whole HTTP API, served at GET /api/openapi.json. Built in code
 * so the enums come from the domain; test/openapi.test.ts holds it against the real routes (every
 * route described and every description routed, 401 and 403 as documented, responses valid
 * against their schemas).
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
/** A channel's id (channel, user, conversation, activity): one limit on every route. */
const id: Schema = { type: 'string', minLength: 1, maxLength: MAX_ID_CHARS };
const int: Schema = { type: 'integer', minimum: 0 };
const bool: Schema = { type: 'boolean' };
const isoTime: Schema = { type: 'string', format: 'date-time' };
const array = (items: Schema): Schema => ({ type: 'array', items });
const object = (
  properties: Record<string, Schema>,
  required = Object.keys(properties),
): Schema => ({
  type: 'object',
  properties,
  required,
});

const json = (schema: Schema) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });

/** Past a client address's budget (README, Rate limits); Retry-After says when to come back. */
const RATE_LIMITED = {
  ...error('Too many requests from this client address (or failed authentications)'),
  headers: {
    'Retry-After': { description: 'Seconds until the budget is back', schema: { type: 'integer' } },
  },
};

/** The statuses every call with a bearer token can answer, besides its own. */
function secured(roles: readonly Role[], responses: Record<string, unknown>) {
  return {
    security: [{ bearer: [] }],
    'x-roles': roles,
    responses: {
      ...responses,
      '401': error('No bearer token, or not one this server accepts'),
      '403': error(`The token holds none of the roles: ${roles.join(', ')}`),
      '503': error('The store, or the token issuer, is unavailable; safe to retry'),
      '429': RATE_LIMITED,
    },
  };
}

const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: id,
});

const queryParam = (name: string, description: string, schema: Schema = str, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const SUBJECT_PARAMS = [
  pathParam('channelId', 'The channel, e.g. msteams or webchat'),
  pathParam('userId', "The person's id on that channel"),
];

const day: Schema = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };

const SUBJECT_FILTERS = [
  queryParam('channelId', 'Only this channel', id),
  queryParam('userId', "Only this person (the channel's id; needs channelId)", id),
];
const RANGE = [
  queryParam(
    'from',
    'Recorded at or after: a real day YYYY-MM-DD (UTC) or an RFC 3339 date-time with offset; ' +
      'anything else (month 13, 30 February, hour 25) is 400 INVALID_DATE',
  ),
  queryParam('to', 'Recorded before (excluded)'),
];
const LEDGER_FILTERS = [
  ...SUBJECT_FILTERS,
  queryParam('purposeId', 'Only this purpose', id),
  queryParam('decision', 'Only this kind of decision', { enum: [...DECISIONS] }),
  queryParam('catalogueVersion', 'Only decisions on this version of the data map', id),
  queryParam('conversationId', 'Only decisions made in this conversation', id),
  ...RANGE,
];
const PAGING = [
  queryParam('limit', 'Page size, 1 to 500 (50)', { type: 'integer', minimum: 1, maximum: 500 }),
  queryParam('after', 'The next cursor of the previous page'),
];

/** A body written as it is read from the store, for any size in constant memory. */
const streamed = (mediaType: string, cut: string) => ({
  description: `Streamed. ${cut}.`,
  content: { [mediaType]: { schema: str } },
});

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: str } },
});

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Consent bot API',
      version: '1',
      description:
        'Consent conversations (Bot Framework), e-mail links, and the APIs of support agents, ' +
        'marketing systems and compliance officers. Roles: ' +
        ROLES.join(', ') +
        '. Tokens: API_TOKENS, or JWTs from the configured issuer with roles in a claim.',
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
      schemas: {
        Error: object({ code: { type: 'string', pattern: '^[A-Z_]+$' }, message: str }, [
          'code',
          'message',
        ]),
        Subject: object({ channelId: id, userId: id }),
        ConsentEvent: object(
          {
            id: str,
            seq: { type: 'integer', minimum: 1 },
            recordedAt: isoTime,
            subject: ref('Subject'),
            purposeId: str,
            purposeVersion: { type: 'integer' },
            catalogueVersion: str,
            decision: { enum: [...DECISIONS] },
            noticeHash: { type: ['string', 'null'] },
            locale: str,
            channelId: str,
            conversationId: str,
            activityId: str,
            source: str,
            explicit: bool,
            transcript: object({ activities: int, digest: str, firstAt: isoTime }),
            prevHash: str,
            hash: str,
            // HMAC of hash under a key derived from the server's secret; absent on older events.
            seal: str,
          },
          [
            'id',
            'seq',
            'recordedAt',
            'subject',
            'purposeId',
            'decision',
            'catalogueVersion',
            'prevHash',
            'hash',
          ],
        ),
        ChainProblem: object({
          kind: {
            enum: [
              'altered',
              'broken-link',
              'missing',
              'reordered',
              'forged',
              'unsealed',
              'transcript-altered',
              'transcript-missing',
              'notice-missing',
              'notice-altered',
            ],
          },
          seq: { type: 'integer' },
          eventId: str,
        }),
      },
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness: the process is up (no store I/O; for restarts, not for routing)',
          responses: {
            '200': { description: 'Alive', content: json(object({ status: { const: 'ok' } })) },
          },
        },
      },
      '/readyz': {
        get: {
          summary:
            'Readiness: the store took a durable write of a probe record (never the ledger) in time',
          responses: {
            '200': {
              description: 'Ready to record consent and stops',
              content: json(object({ status: { const: 'ready' } })),
            },
            '503': {
              description: 'The store cannot take a durable write now: route traffic elsewhere',
              content: json(
                object({ status: { const: 'unavailable' }, code: { const: 'STORE_UNAVAILABLE' } }),
              ),
            },
          },
        },
      },
      '/': {
        get: {
          summary: 'A short page for browsers: where the console, this document and health are',
          responses: { '200': html('The page, in the language Accept-Language prefers') },
        },
      },
      '/console': {
        get: {
          summary: 'The compliance console (sign in there with a compliance token)',
          responses: { '200': html('The page') },
        },
      },
      '/console/': {
        get: { summary: 'The same page', responses: { '200': html('The page') } },
      },
      '/console/{file}': {
        get: {
          summary: "The console's own script and style sheet (a fixed list)",
          parameters: [pathParam('file', 'console.js, console.css or index.html')],
          responses: {
            '200': { description: 'The file' },
            '404': error('Not a file of the console'),
          },
        },
      },
      '/api/openapi.json': {
        get: {
          summary: 'This document',
          responses: {
            '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) },
            '429': RATE_LIMITED,
          },
        },
      },
      '/api/messages': {
        post: {
          summary: 'Bot Framework activities from the channel (Web Chat, Teams)',
          description:
            'Authenticated by the Bot Framework (MicrosoftAppId) when configured. ' +
            'deliveryMode expectReplies returns the replies in the response.',
          requestBody: { required: true, content: json({ type: 'object' }) },
          responses: {
            '200': { description: 'Processed (with expectReplies: the replies)' },
            '201': { description: 'Processed' },
            '400': error(
              'INVALID_ACTIVITY: not a Bot Framework activity, a field the bot reads of the wrong ' +
                `type (the message names it), or an id over ${MAX_ID_CHARS} characters. A ` +
                'channelData, value or unknown field nested too deep is dropped, not refused',
            ),
            '401': error('UNAUTHENTICATED: the Bot Framework token is missing or invalid'),
            '500': error('TURN_FAILED: the adapter failed outside the turn; safe to resend'),
            '413': error('The activity is larger than the body limit'),
            '429': {
              ...RATE_LIMITED,
              description:
                'Too many activities from this address or in this conversation; never for a stop',
            },
          },
        },
      },
      '/confirm': {
        get: {
          summary: 'Double opt-in link: shows a button (mail scanners open links)',
          parameters: [queryParam('token', 'The signed link token', str, true)],
          responses: {
            '200': html('The confirmation page'),
            '400': html('No token'),
            '429': RATE_LIMITED,
          },
        },
        post: {
          summary: 'Confirms the e-mail address: the purpose becomes granted',
          parameters: [queryParam('token', 'The signed link token', str, true)],
          responses: {
            '200': html('Confirmed'),
            '400': html('No token'),
            '404': html('Unknown or used link'),
            '410': html('Expired link'),
            '429': RATE_LIMITED,
            '503': html('Store unavailable'),
          },
        },
      },
      '/unsubscribe': {
        get: {
          summary: 'Unsubscribe link: shows a button',
          parameters: [queryParam('token', 'The signed link token', str, true)],
          responses: {
            '200': html('The unsubscribe page'),
            '400': html('Bad link'),
            '429': RATE_LIMITED,
          },
        },
        post: {
          summary: 'Withdraws the purpose (RFC 8058 one-click, or the page button)',
          parameters: [queryParam('token', 'The signed link token', str, true)],
          responses: {
            '200': html('Withdrawn'),
            '400': html('Bad link'),
            '429': {
              ...RATE_LIMITED,
              description: 'Too many requests from this address; never with a valid link (a stop)',
            },
            '503': html('Store unavailable'),
          },
        },
      },
      '/api/subjects/{channelId}/{userId}/consents': {
        get: {
          summary: "A person's current choices and full consent history",
          parameters: SUBJECT_PARAMS,
          ...secured(['compliance', 'agent'], {
            '200': {
              description: 'Current status per purpose, and every event',
              content: json(
                object({
                  subject: ref('Subject'),
                  catalogueVersion: str,
                  purposes: array(
                    object({ purposeId: str, status: { enum: [...STATUSES] } }, [
                      'purposeId',
                      'status',
                    ]),
                  ),
                  events: array(ref('ConsentEvent')),
                }),
              ),
            },
            '400': error('Malformed ids'),
          }),
        },
      },
      '/api/subjects/{channelId}/{userId}/verify': {
        get: {
          summary: "Walks one person's hash chain, the notices and transcripts it names",
          parameters: SUBJECT_PARAMS,
          ...secured(['compliance'], {
            '200': {
              description: 'Where the chain breaks, if anywhere',
              content: json(
                object({ events: int, intact: bool, problems: array(ref('ChainProblem')) }, [
                  'events',
                  'intact',
                  'problems',
                ]),
              ),
            },
            '400': error('Malformed ids'),
          }),
        },
      },
      '/api/subjects/{channelId}/{userId}/contact-permissions': {
        get: {
          summary: 'May this person be contacted for this purpose, now?',
          parameters: [...SUBJECT_PARAMS, queryParam('purpose', 'A purpose id', str, true)],
          ...secured(['marketing', 'agent', 'compliance'], {
            '200': {
              description: 'Yes or no, and why; never the history',
              content: json(
                object({
                  subject: ref('Subject'),
                  purpose: str,
                  allowed: bool,
                  reason: str,
                  checkedAt: isoTime,
                }),
              ),
            },
            '400': error('Unknown purpose or malformed ids'),
          }),
        },
      },
      '/api/contact-permissions': {
        post: {
          summary: 'The same question for up to 1,000 people at once',
          requestBody: {
            required: true,
            content: json(object({ purpose: str, subjects: array(ref('Subject')) })),
          },
          ...secured(['marketing', 'agent', 'compliance'], {
            '200': {
              description: 'One answer per subject, in order',
              content: json(
                object({
                  purpose: str,
                  checkedAt: isoTime,
                  results: array(object({ subject: ref('Subject'), allowed: bool, reason: str })),
                }),
              ),
            },
            '400': error('Unknown purpose or malformed subjects'),
            '413': error('More than 1,000 subjects'),
          }),
        },
      },
      '/api/subjects/{channelId}/{userId}/receipts': {
        get: {
          summary: "Receipts for each of a person's current decisions",
          parameters: SUBJECT_PARAMS,
          ...secured(['agent', 'compliance'], {
            '200': {
              description: 'Kantara Consent Receipt v1.1 and ISO/IEC TS 27560-shaped records',
              content: json(
                object({
                  kantara: array({ type: 'object' }),
                  iso27560: array({ type: 'object' }),
                  omitted: array({ type: 'object' }),
                }),
              ),
            },
            '400': error('Malformed ids'),
          }),
        },
      },
      '/api/subjects/{channelId}/{userId}/receipts/{eventId}': {
        get: {
          summary: 'The receipts of one consent event',
          parameters: [...SUBJECT_PARAMS, pathParam('eventId', 'A consent event id')],
          ...secured(['agent', 'compliance'], {
            '200': {
              description: 'Both receipts',
              content: json(object({ kantara: { type: 'object' }, iso27560: { type: 'object' } })),
            },
            '400': error('Malformed ids'),
            '404': error('No such event, or its purpose left the data map'),
          }),
        },
      },
      '/api/subjects/{channelId}/{userId}/export': {
        get: {
          summary: 'Right of access (GDPR art. 15): everything held about the person',
          parameters: SUBJECT_PARAMS,
          ...secured(['agent', 'compliance'], {
            '200': {
              description: 'The export',
              content: json({
                type: 'object',
                required: ['format', 'generatedAt', 'subject', 'purposes', 'history'],
              }),
            },
            '400': error('Malformed ids'),
          }),
        },
      },
      '/api/subjects/{channelId}/{userId}/erasure': {
        post: {
          summary: 'Right to erasure (GDPR art. 17): suppress, then delete; proof is kept',
          parameters: SUBJECT_PARAMS,
          ...secured(['agent', 'compliance'], {
            '200': {
              description: 'What was erased and what was kept, and why',
              content: json({ type: 'object', required: ['erasedAt', 'erased', 'kept'] }),
            },
            '400': error('Malformed ids'),
          }),
        },
      },
      '/api/handoffs': {
        post: {
          summary: "Hands a customer's consent question to the bot, in their conversation",
          description:
            'The bot writes in the conversation at once (proactive message) and asks only the ' +
            'given purposes. When the customer is done (answered, stopped or erased), a ' +
            'handoff.status event { state: completed, handoffId, ending, outcome } goes into the ' +
            'conversation, and the same outcome is POSTed to callbackUrl (HANDOFF_CALLBACK_ORIGINS).',
          requestBody: {
            required: true,
            content: json(
              object(
                {
                  conversationReference: {
                    type: 'object',
                    required: ['channelId', 'serviceUrl', 'conversation', 'user'],
                  },
                  purposes: array(str),
                  topic: { enum: ['consent', 'data-map', 'receipt'] },
                  locale: { enum: ['en', 'fr'] },
                  callbackUrl: str,
                },
                ['conversationReference'],
              ),
            ),
          },
          ...secured(['agent'], {
            '202': {
              description: 'Started',
              content: json(object({ handoffId: str, status: { const: 'started' } })),
            },
            '400': error('INVALID_HANDOFF, UNKNOWN_PURPOSE or CALLBACK_NOT_ALLOWED'),
            '404': error('The bot has not been part of this conversation at this serviceUrl'),
            '502': error('The channel refused the bot'),
          }),
        },
      },
      '/api/handoffs/{id}': {
        get: {
          summary: 'A hand-off: state, purposes, ending and outcome (no personal ids)',
          parameters: [pathParam('id', 'The handoffId')],
          ...secured(['agent'], {
            '200': {
              description: 'The hand-off',
              content: json({
                type: 'object',
                required: ['id', 'state', 'topic', 'purposeIds', 'startedAt'],
                properties: {
                  state: { enum: ['started', 'completed'] },
                  ending: { enum: ['finished', 'stopped', 'erased'] },
                  outcome: array(object({ purposeId: str, status: { enum: [...STATUSES] } })),
                },
              }),
            },
            '400': error('Malformed id'),
            '404': error('No such hand-off'),
          }),
        },
      },
      '/api/compliance/events': {
        get: {
          summary: 'Searches the consent ledger, newest first',
          parameters: [...LEDGER_FILTERS, ...PAGING],
          ...secured(['compliance'], {
            '200': {
              description: 'One page of events',
              content: json(object({ events: array(ref('ConsentEvent')), next: str }, ['events'])),
            },
            '400': error('INVALID_QUERY, INVALID_DATE, INVALID_RANGE, INVALID_LIMIT, ...'),
          }),
        },
      },
      '/api/compliance/conversations': {
        get: {
          summary: 'Finds conversations, most recently active first',
          parameters: [...SUBJECT_FILTERS, ...RANGE, ...PAGING],
          ...secured(['compliance'], {
            '200': {
              description: 'One page of conversations',
              content: json(
                object(
                  {
                    conversations: array(
                      object({
                        channelId: str,
                        conversationId: str,
                        firstAt: isoTime,
                        lastAt: isoTime,
                        activities: int,
                      }),
                    ),
                    next: str,
                  },
                  ['conversations'],
                ),
              ),
            },
            '400': error('A malformed filter'),
          }),
        },
      },
      '/api/compliance/conversations/{channelId}/{conversationId}': {
        get: {
          summary: 'One conversation as a timeline, with each decision and the notice shown',
          parameters: [
            pathParam('channelId', 'The channel'),
            pathParam('conversationId', 'The conversation'),
          ],
          ...secured(['compliance'], {
            '200': {
              description: 'What was said both ways, and the decisions, in time order',
              content: json(
                object({
                  channelId: str,
                  conversationId: str,
                  timeline: array({
                    oneOf: [
                      object(
                        {
                          kind: { const: 'activity' },
                          at: isoTime,
                          direction: { enum: ['in', 'out'] },
                          type: str,
                          text: str,
                          name: str,
                          activityId: str,
                        },
                        ['kind', 'at', 'direction', 'type'],
                      ),
                      object({
                        kind: { const: 'consent' },
                        at: isoTime,
                        event: ref('ConsentEvent'),
                        notice: {
                          oneOf: [
                            { type: 'null' },
                            object({
                              text: str,
                              locale: str,
                              purposeVersion: { type: 'integer' },
                              catalogueVersion: str,
                              hash: str,
                            }),
                          ],
                        },
                      }),
                    ],
                  }),
                }),
              ),
            },
            '400': error('Malformed ids'),
            '404': error('Nothing is stored for this conversation'),
          }),
        },
      },
      '/api/compliance/export/events.jsonl': {
        get: {
          summary: 'Streams every matching event, oldest first, one JSON object per line',
          parameters: LEDGER_FILTERS,
          ...secured(['compliance'], {
            '200': streamed('application/x-ndjson', 'Ends with {"complete":false} if cut'),
            '400': error('A malformed filter'),
          }),
        },
      },
      '/api/compliance/export/events.csv': {
        get: {
          summary: 'The same as CSV (RFC 4180; spreadsheet formulas neutralised)',
          parameters: LEDGER_FILTERS,
          ...secured(['compliance'], {
            '200': streamed('text/csv', 'Ends with an "#export incomplete" row if cut'),
            '400': error('A malformed filter'),
          }),
        },
      },
      '/api/compliance/export/receipts.jsonl': {
        get: {
          summary: 'A Kantara Consent Receipt v1.1 per consent given, one per line',
          parameters: LEDGER_FILTERS,
          ...secured(['compliance'], {
            '200': streamed('application/x-ndjson', 'Ends with {"complete":false} if cut'),
            '400': error('A malformed filter'),
            '500': error('The controller has no postal address or phone (Kantara requires them)'),
          }),
        },
      },
      '/api/compliance/aggregates': {
        get: {
          summary:
            'Decisions per purpose and period, consent and withdrawal rates, opt-out reasons',
          parameters: [
            queryParam('from', 'Start, included: YYYY-MM-DD or ISO date-time', str, true),
            queryParam('to', 'End, excluded', str, true),
            queryParam('period', 'day (default) or month', { enum: ['day', 'month'] }),
            queryParam('purposeId', 'One purpose only'),
          ],
          ...secured(['compliance'], {
            '200': {
              description: 'Series per purpose; rates are null for a period without answers',
              content: json(
                object({
                  from: str,
                  to: str,
                  period: { enum: ['day', 'month'] },
                  purposes: array(
                    object({
                      purposeId: str,
                      series: array({
                        type: 'object',
                        required: ['period', 'consentRate', 'withdrawalRate'],
                        properties: {
                          consentRate: { type: ['number', 'null'] },
                          withdrawalRate: { type: ['number', 'null'] },
                        },
                      }),
                    }),
                  ),
                  optOutReasons: object({ totals: { type: 'object' } }),
                }),
              ),
            },
            '400': error('Missing or malformed dates or period'),
          }),
        },
      },
      '/api/compliance/verify': {
        get: {
          summary:
            'Checks the hash chains, notices and transcripts of the store, a window, a person',
          parameters: [...SUBJECT_FILTERS, ...RANGE],
          ...secured(['compliance'], {
            '200': {
              description: 'Where each break is (the first 1,000; problemCount counts all)',
              content: json(
                object({
                  scope: { enum: ['store', 'range', 'subject'] },
                  subjects: int,
                  events: int,
                  intact: bool,
                  problemCount: int,
                  problems: array(
                    object({
                      subject: str,
                      kind: str,
                      seq: { type: 'integer' },
                      eventId: str,
                    }),
                  ),
                }),
              ),
            },
            '400': error('A malformed filter'),
          }),
        },
      },
      '/api/compliance/access-log': {
        get: {
          summary: 'Who read whose data, and when (people by pseudonym only)',
          parameters: [
            queryParam('principal', 'One caller, e.g. jwt:<issuer>#<oid>'),
            ...RANGE,
            ...PAGING,
          ],
          ...secured(['compliance'], {
            '200': {
              description: 'Newest first',
              content: json(
                object(
                  {
                    records: array(
                      object(
                        {
                          at: isoTime,
                          principal: str,
                          role: str,
                          action: str,
                          target: str,
                          detail: { type: 'object' },
                        },
                        ['at', 'principal', 'role', 'action', 'target'],
                      ),
                    ),
                    next: str,
                  },
                  ['records'],
                ),
              ),
            },
            '400': error('A malformed filter'),
          }),
        },
      },
      '/api/reports/opt-out-reasons': {
        get: {
          summary: 'Why people left, in aggregate (day and reason only, never who)',
          parameters: [
            queryParam('from', 'First UTC day, included', day, true),
            queryParam('to', 'Last UTC day, included', day, true),
          ],
          ...secured(['compliance'], {
            '200': {
              description: 'Totals per reason and per day',
              content: json(
                object({
                  from: str,
                  to: str,
                  total: int,
                  reasons: { type: 'object' },
                  days: array({ type: 'object' }),
                }),
              ),
            },
            '400': error('Missing or malformed days'),
          }),
        },
      },
    },
  };
}
