import { z } from 'zod';
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
import { subjectKey, type Subject } from '../../consent/subject.js';
import type { Role } from '../platform/config.js';
import { errorFields, type Logger } from '../platform/log.js';
import {
  coded,
  error,
  HttpError,
  id,
  personOf,
  route,
  subjectParams,
  type Context,
  type Route,
} from '../http/route.js';

export interface ReceiptRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
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

const INCOMPLETE = error(
  'RECEIPT_INCOMPLETE: the controller has no postal address or phone (Kantara v1.1 requires them)',
);

/**
 * Consent receipts through the API: every decision by which a person gave consent, as a
 * Kantara Consent Receipt v1.1 and as an ISO/IEC TS 27560 record tagged with DPV IRIs.
 *
 * The receipts name the person by the ledger's pseudonym, never by the ids of the URL: they are
 * proof meant to be kept and passed on, and the pseudonym is what the ledger can stand behind
 * after an erasure (GDPR art. 17(3)(e)). Every call reads personal data, so it is logged with the
 * caller's role and the counts, never with the ids.
 */
export function receiptRoutes(deps: ReceiptRoutesDeps): Route[] {
  const { log, catalogue } = deps;

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

  /** A configuration gap, not a store failure: a receipt missing mandatory fields is not one. */
  const guarded = async <T>(event: string, caller: Context['caller'], work: () => Promise<T>) => {
    try {
      return await work();
    } catch (failure) {
      if (!(failure instanceof IncompleteReceiptError)) throw failure;
      log.error(event, {
        role: caller.role,
        ...errorFields(failure),
        problems: failure.problems.length,
      });
      throw new HttpError(
        500,
        failure.code,
        'the receipts would lack fields Kantara v1.1 requires: configure the controller details',
        { problems: failure.problems },
      );
    }
  };

  return [
    route({
      method: 'GET',
      path: '/api/subjects/:channelId/:userId/receipts',
      summary: "Receipts for each of a person's current decisions",
      roles: ROLES,
      params: subjectParams,
      access: 'receipts.read',
      failure: 'api.receipts_failed',
      cache: 'no-store',
      responses: {
        200: {
          description: 'Kantara Consent Receipt v1.1 and ISO/IEC TS 27560-shaped records',
          schema: z.object({
            kantara: z.array(z.looseObject({})),
            iso27560: z.array(z.looseObject({})),
            omitted: z.array(
              z.object({
                eventId: z.string(),
                purposeId: z.string(),
                reason: z.literal('UNKNOWN_PURPOSE'),
              }),
            ),
          }),
        },
        500: INCOMPLETE,
      },
      handle: ({ params }, { caller, access }) =>
        guarded('api.receipts_failed', caller, async () => {
          const subject = personOf(deps.ledgerSubjectOf, params);
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
          await access(subjectKey(subject));
          log.info('api.receipts_read', {
            role: caller.role,
            receipts: kantara.length,
            omitted: omitted.length,
          });
          return { status: 200, body: { kantara, iso27560, omitted } };
        }),
    }),
    route({
      method: 'GET',
      path: '/api/subjects/:channelId/:userId/receipts/:eventId',
      summary: 'The receipts of one consent event',
      roles: ROLES,
      params: subjectParams.extend({
        eventId: coded(id.meta({ description: 'A consent event id' }), 'INVALID_EVENT'),
      }),
      access: 'receipts.read',
      failure: 'api.receipt_failed',
      cache: 'no-store',
      responses: {
        200: {
          description: 'Both receipts',
          schema: z.object({ kantara: z.looseObject({}), iso27560: z.looseObject({}) }),
        },
        404: error(
          'EVENT_NOT_FOUND or NO_RECEIPT: no such event, or its purpose left the data map',
        ),
        500: INCOMPLETE,
      },
      handle: ({ params }, { caller, access }) =>
        guarded('api.receipt_failed', caller, async () => {
          const { eventId, ...ids } = params;
          const subject = personOf(deps.ledgerSubjectOf, ids);
          // Looked up in this subject's own history: an event id never reaches another person's.
          const history = await deps.ledger.history(subject);
          const event = history.find((e) => e.id === eventId);
          if (!event) {
            throw new HttpError(
              404,
              'EVENT_NOT_FOUND',
              'this person has no consent event with this id',
            );
          }
          if (!hasKantaraReceipt(event)) {
            throw new HttpError(
              404,
              'NO_RECEIPT',
              'receipts document consent given; this event records a refusal, a withdrawal or an expiry',
            );
          }
          if (!purposeOf(catalogue, event.purposeId)) {
            throw new HttpError(
              404,
              'NO_RECEIPT',
              'the data map no longer has the purpose of this event',
            );
          }
          const receipts = receiptsOf(event, subject);
          await access(subjectKey(subject));
          log.info('api.receipt_read', { role: caller.role, receipts: 1 });
          return { status: 200, body: receipts };
        }),
    }),
  ];
}
