import type { Request, Response, Server } from 'restify';
import { purposeOf, type Catalogue } from '../../consent/catalogue.js';
import type { ConsentEvent, ConsentLedger } from '../../consent/ledger.js';
import {
  hasKantaraReceipt,
  iso27560Record,
  kantaraReceipt,
  validateKantaraReceipt,
  type ControllerDetails,
  type Iso27560Record,
  type KantaraReceipt,
} from '../../consent/receipts.js';
import type { AccessLog } from '../../consent/access-log.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import type { Authenticator } from '../http/auth.js';
import type { Role } from '../platform/config.js';
import { errorFields, type Logger } from '../platform/log.js';
import {
  admitSubject,
  fail,
  ID_RULE,
  isId,
  recordAccess,
  type Caller,
} from '../http/http-common.js';

export interface ReceiptRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  /** Where each access to personal data is recorded before the data is sent. */
  readonly accessLog: AccessLog;
  /** Who may call: API_TOKENS and, when configured, JWT bearer tokens. */
  readonly auth: Authenticator;
  readonly log: Logger;
  /**
   * The controller's postal address and phone, which Kantara v1.1 requires and the data map does
   * not hold. Without them every receipt would be incomplete, and the routes say so (500).
   */
  readonly controller?: ControllerDetails;
  /** Defaults to the Union (the data map's legal bases are GDPR ones). */
  readonly jurisdiction?: string;
}

/** Agents show customers their proof; compliance officers hand it to auditors and authorities. */
const ROLES: readonly Role[] = ['agent', 'compliance'];

/** Thrown when the receipts would lack fields the specification makes mandatory. */
class IncompleteReceiptError extends Error {
  readonly code = 'RECEIPT_INCOMPLETE';
  constructor(readonly problems: readonly string[]) {
    super('receipts would lack mandatory Kantara v1.1 fields');
  }
}

/**
 * Consent receipts through the API: every decision by which a person gave consent, as a
 * Kantara Consent Receipt v1.1 and as an ISO/IEC TS 27560 record tagged with DPV IRIs.
 *
 * The receipts name the person by the ledger's pseudonym, never by the ids of the URL: they are
 * proof meant to be kept and passed on, and the pseudonym is what the ledger can stand behind
 * after an erasure (GDPR art. 17(3)(e)). Every call reads personal data, so it is logged with the
 * caller's role and the counts, never with the ids.
 */
export function registerReceiptRoutes(server: Server, deps: ReceiptRoutesDeps): void {
  const { log, catalogue } = deps;

  /** The caller's role and the ledger subject of the URL, or undefined once an error is sent. */
  const admitted = async (
    req: Request,
    res: Response,
  ): Promise<(Caller & { subject: Subject }) | undefined> => {
    const caller = await admitSubject(req, res, deps.auth, ROLES);
    if (!caller) return undefined;
    try {
      return { ...caller, subject: deps.ledgerSubjectOf(caller.subject) };
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      fail(res, 400, 'INVALID_SUBJECT', 'these ids cannot name a person');
      return undefined;
    }
  };

  const receiptsOf = (
    event: ConsentEvent,
    subject: Subject,
  ): { kantara: KantaraReceipt; iso27560: Iso27560Record } => {
    const input = {
      event,
      catalogue,
      principalId: subject.userId,
      ...(deps.controller ? { controller: deps.controller } : {}),
      ...(deps.jurisdiction ? { jurisdiction: deps.jurisdiction } : {}),
    };
    const kantara = kantaraReceipt(input);
    const problems = validateKantaraReceipt(kantara);
    if (problems.length > 0) throw new IncompleteReceiptError(problems);
    return { kantara, iso27560: iso27560Record(input) };
  };

  const failed = (res: Response, event: string, role: Role, error: unknown): void => {
    if (error instanceof IncompleteReceiptError) {
      // A configuration gap, not a store failure: a receipt missing mandatory fields is not one.
      log.error(event, { role, ...errorFields(error), problems: error.problems.length });
      fail(
        res,
        500,
        error.code,
        'the receipts would lack fields Kantara v1.1 requires: configure the controller details',
        { problems: error.problems },
      );
      return;
    }
    log.error(event, { role, ...errorFields(error) });
    fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable; try again, it is safe to');
  };

  server.get('/api/subjects/:channelId/:userId/receipts', async (req: Request, res: Response) => {
    const caller = await admitted(req, res);
    if (!caller) return;
    const { role, subject } = caller;
    try {
      const history = await deps.ledger.history(subject);
      const kantara: KantaraReceipt[] = [];
      const iso27560: Iso27560Record[] = [];
      /** Consents to purposes the data map no longer has: listed, never silently dropped. */
      const omitted: { eventId: string; purposeId: string; reason: 'UNKNOWN_PURPOSE' }[] = [];
      for (const event of history.filter(hasKantaraReceipt)) {
        if (!purposeOf(catalogue, event.purposeId)) {
          omitted.push({
            eventId: event.id,
            purposeId: event.purposeId,
            reason: 'UNKNOWN_PURPOSE',
          });
          continue;
        }
        const receipts = receiptsOf(event, subject);
        kantara.push(receipts.kantara);
        iso27560.push(receipts.iso27560);
      }
      const target = subjectKey(subject);
      if (!(await recordAccess(res, deps.accessLog, caller, 'receipts.read', target))) return;
      log.info('api.receipts_read', { role, receipts: kantara.length, omitted: omitted.length });
      res.header('Cache-Control', 'no-store');
      res.send(200, { kantara, iso27560, omitted });
    } catch (error) {
      failed(res, 'api.receipts_failed', role, error);
    }
  });

  server.get(
    '/api/subjects/:channelId/:userId/receipts/:eventId',
    async (req: Request, res: Response) => {
      const caller = await admitted(req, res);
      if (!caller) return;
      const { role, subject } = caller;
      const { eventId } = (req.params ?? {}) as Record<string, unknown>;
      if (!isId(eventId)) {
        fail(res, 400, 'INVALID_EVENT', `eventId must be ${ID_RULE}`);
        return;
      }
      try {
        // Looked up in this subject's own history: an event id never reaches another person's.
        const history = await deps.ledger.history(subject);
        const event = history.find((e) => e.id === eventId);
        if (!event) {
          fail(res, 404, 'EVENT_NOT_FOUND', 'this person has no consent event with this id');
          return;
        }
        if (!hasKantaraReceipt(event)) {
          fail(
            res,
            404,
            'NO_RECEIPT',
            'receipts document consent given; this event records a refusal, a withdrawal or an expiry',
          );
          return;
        }
        if (!purposeOf(catalogue, event.purposeId)) {
          fail(res, 404, 'NO_RECEIPT', 'the data map no longer has the purpose of this event');
          return;
        }
        const receipts = receiptsOf(event, subject);
        const target = subjectKey(subject);
        if (!(await recordAccess(res, deps.accessLog, caller, 'receipts.read', target))) return;
        log.info('api.receipt_read', { role, receipts: 1 });
        res.header('Cache-Control', 'no-store');
        res.send(200, receipts);
      } catch (error) {
        failed(res, 'api.receipt_failed', role, error);
      }
    },
  );
}
