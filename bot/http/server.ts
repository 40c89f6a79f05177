import type { Activity, TurnContext } from 'botbuilder';
import restify, { type Next, type Request, type Response, type Server } from 'restify';
import type { Catalogue } from '../../consent/catalogue.js';
import { deriveStatuses, type ConsentLedger, type LedgerSearch } from '../../consent/ledger.js';
import { verifyLedger, type EventCheck } from '../proof/ledger-verification.js';
import type { AccessLog } from '../../consent/access-log.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { registerEmailRoutes, type EmailRouteDeps } from '../email/routes.js';
import type { Authenticator } from './auth.js';
import { errorFields, type Logger } from '../platform/log.js';
import { admitSubject, fail, recordAccess, ROUTER_OPTIONS } from './http-common.js';
import { checkActivity, KNOWN_FIELDS } from '../chat/activity-shape.js';
import { openApiDocument } from './openapi.js';
import { withinDeadline, type ReadinessProbe } from '../../storage/readiness.js';
import { rateLimits, type RateLimitSettings } from '../chat/rate-limits.js';
import type { ConsentAdapter } from '../chat/reply-delivery.js';

export interface ServerDeps {
  readonly adapter: ConsentAdapter;
  readonly runTurn: (context: TurnContext) => Promise<void>;
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger & LedgerSearch;
  /** Per-event checks of verification (transcript links), a fresh one per walk. */
  readonly checkEvents: () => EventCheck;
  /** The ledger seal key: verification names rewritten events (consent/chain.ts). */
  readonly sealKey: Buffer;
  /** Who may call: API_TOKENS and, when configured, JWT bearer tokens. */
  readonly auth: Authenticator;
  /** Maps the ids in a URL to the ledger's pseudonymous subject. */
  readonly ledgerSubject: (subject: Subject) => Subject;
  /** Where each access to personal data is recorded before the data is sent. */
  readonly accessLog: AccessLog;
  readonly log: Logger;
  readonly maxBodyBytes?: number;
  /** Where clients reach this server: the OpenAPI document's server URL. */
  readonly publicUrl: string;
  readonly emailRoutes?: EmailRouteDeps;
  /** GET /readyz: can the store take a durable write (a probe record, never the ledger)? */
  readonly readiness: ReadinessProbe;
  /** How long /readyz waits for the probe before answering 503 (default 2 s). */
  readonly readinessTimeoutMs?: number;
  /** Per-address and per-conversation budgets (bot/chat/rate-limits.ts); absent: no limit. */
  readonly rateLimits?: RateLimitSettings;
}

export function createServer(deps: ServerDeps): Server {
  const { adapter, catalogue, ledger, log } = deps;
  const server = restify.createServer({
    name: 'consent-bot',
    handleUncaughtExceptions: false,
    ...ROUTER_OPTIONS,
  });
  // Before routing, so 404s, 405s and body-parser errors carry it too: a browser must never sniff
  // a JSON answer (which can quote input) into HTML or script (OWASP Secure Headers).
  server.pre((_req: Request, res: Response, next: Next) => {
    res.header('X-Content-Type-Options', 'nosniff');
    next();
  });
  server.use(
    restify.plugins.bodyParser({ maxBodySize: deps.maxBodyBytes ?? 256 * 1024, mapParams: false }),
  );
  server.use(restify.plugins.queryParser({ mapParams: false }));
  // After the body parser: whether a message over its budget is a stop is read from its text.
  const { emailRoutes } = deps;
  if (deps.rateLimits) {
    server.use(
      rateLimits({
        settings: deps.rateLimits,
        catalogue,
        log,
        ...(emailRoutes
          ? { isUnsubscribeToken: (token: string) => emailRoutes.isUnsubscribeToken(token) }
          : {}),
      }),
    );
  }

  // Liveness: the process is up and its event loop turns. No store I/O, so a slow or full store
  // never gets a live process restarted; that is what /readyz is for.
  server.get('/healthz', (_req: Request, res: Response, next: Next) => {
    res.header('Cache-Control', 'no-store');
    res.send(200, { status: 'ok' });
    next();
  });

  // Readiness: able to record a stop now. A probe record is written durably and read back, in a
  // table of its own; a full disk or a lost volume takes the instance out of rotation.
  const readinessTimeoutMs = deps.readinessTimeoutMs ?? 2000;
  server.get('/readyz', async (_req: Request, res: Response) => {
    res.header('Cache-Control', 'no-store');
    try {
      await withinDeadline(deps.readiness.check(), readinessTimeoutMs, 'readiness probe');
      res.send(200, { status: 'ready' });
    } catch (error) {
      log.error('ready.store_unavailable', errorFields(error));
      res.send(503, { status: 'unavailable', code: 'STORE_UNAVAILABLE' });
    }
  });

  const openApi = openApiDocument(deps.publicUrl);
  server.get('/api/openapi.json', (_req: Request, res: Response, next: Next) => {
    res.header('Cache-Control', 'no-cache');
    res.send(200, openApi);
    next();
  });

  server.post('/api/messages', async (req: Request, res: Response) => {
    const check = checkActivity(req.body);
    if (!check.ok) {
      fail(res, 400, 'INVALID_ACTIVITY', check.problem);
      return;
    }
    for (const { field, reason } of check.dropped) {
      // Field names come from the body too: only the schema's own are worth naming.
      log.warn('activity.field_dropped', {
        field: KNOWN_FIELDS.has(field) ? field : 'other',
        reason,
      });
    }
    const authorization = req.header('authorization', '');
    try {
      const answer = await adapter.run(authorization, req.body as Activity, deps.runTurn);
      if ('unauthenticated' in answer) {
        fail(res, 401, 'UNAUTHENTICATED', 'the Bot Framework token is missing or invalid');
      } else if (answer.body === undefined) {
        res.send(answer.status);
      } else {
        res.send(answer.status, answer.body);
      }
    } catch (error) {
      // onTurnError answers every failure of the turn itself: this is the adapter's own.
      log.error('turn.unhandled', errorFields(error));
      fail(res, 500, 'TURN_FAILED', 'the activity could not be processed; it may be sent again');
    }
  });

  server.get('/api/subjects/:channelId/:userId/consents', async (req: Request, res: Response) => {
    const caller = await admitSubject(req, res, deps.auth, ['compliance', 'agent']);
    if (!caller) return;
    const { subject } = caller;
    try {
      const ledgerSubject = deps.ledgerSubject(subject);
      const history = await ledger.history(ledgerSubject);
      // Reading a person's choices is itself an access to personal data: leave a trace.
      const target = subjectKey(ledgerSubject);
      if (!(await recordAccess(res, deps.accessLog, caller, 'consents.read', target))) return;
      log.info('api.consents_read', { role: caller.role, events: history.length });
      res.send(200, {
        subject,
        catalogueVersion: catalogue.version,
        purposes: deriveStatuses(catalogue, history).map(({ purposeId, status, event }) => ({
          purposeId,
          status,
          ...(event
            ? {
                decidedAt: event.recordedAt,
                purposeVersion: event.purposeVersion,
                noticeHash: event.noticeHash,
                seq: event.seq,
              }
            : {}),
        })),
        events: history,
      });
    } catch (error) {
      log.error('api.consents_failed', errorFields(error));
      fail(res, 503, 'STORE_UNAVAILABLE', 'the consent store is unavailable, try again');
    }
  });

  if (deps.emailRoutes) registerEmailRoutes(server, deps.emailRoutes);

  // Integrity of one person's proof: their hash chain and the transcripts their decisions name.
  server.get('/api/subjects/:channelId/:userId/verify', async (req: Request, res: Response) => {
    const caller = await admitSubject(req, res, deps.auth, ['compliance']);
    if (!caller) return;
    try {
      const ledgerSubject = deps.ledgerSubject(caller.subject);
      const report = await verifyLedger(
        ledger,
        { subject: ledgerSubject },
        { checkEvent: deps.checkEvents(), sealKey: deps.sealKey },
      );
      const target = subjectKey(ledgerSubject);
      if (!(await recordAccess(res, deps.accessLog, caller, 'chain.verify', target))) return;
      log.info('api.verify', {
        role: caller.role,
        events: report.events,
        problems: report.problemCount,
      });
      const { events, intact, problems } = report;
      res.send(200, {
        events,
        intact,
        problems: problems.map(({ kind, seq, eventId }) => ({ kind, seq, eventId })),
      });
    } catch (error) {
      log.error('api.verify_failed', errorFields(error));
      fail(res, 503, 'STORE_UNAVAILABLE', 'the consent store is unavailable, try again');
    }
  });

  server.on('restifyError', (req: Request, res: Response, error: Error, callback: () => void) => {
    // No route matched (a 404 or 405): there is no route to name, and throwing here would crash.
    const route = (req.getRoute() as ReturnType<Request['getRoute']> | undefined)?.path;
    log.warn('http.error', { route: route ? String(route) : 'none', ...errorFields(error) });
    callback();
  });
  return server;
}
