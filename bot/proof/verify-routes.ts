import { z } from 'zod';
import type { ConsentLedger, LedgerSearch } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { ChainProblemBody, count } from '../http/schemas.js';
import { personOf, route, subjectParams, type Route } from '../http/route.js';
import type { Logger } from '../platform/log.js';
import { verifyLedger, type EventCheck } from './ledger-verification.js';

export interface VerifyRoutesDeps {
  readonly ledger: ConsentLedger & LedgerSearch;
  /** Per-event checks of verification (transcript links), a fresh one per walk. */
  readonly checkEvents: () => EventCheck;
  /** The ledger seal key: verification names rewritten events (consent/chain.ts). */
  readonly sealKey: Buffer;
  /** Maps the ids in a URL to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly log: Logger;
}

/** Integrity of one person's proof: their hash chain and the transcripts their decisions name. */
export function verifyRoutes(deps: VerifyRoutesDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/subjects/:channelId/:userId/verify',
      summary: "Walks one person's hash chain, the notices and transcripts it names",
      roles: ['compliance'],
      params: subjectParams,
      access: 'chain.verify',
      failure: 'api.verify_failed',
      responses: {
        200: {
          description: 'Where the chain breaks, if anywhere',
          schema: z.object({
            events: count,
            intact: z.boolean(),
            problems: z.array(ChainProblemBody),
          }),
        },
      },
      handle: async ({ params }, { caller, access }) => {
        const ledgerSubject = personOf(deps.ledgerSubjectOf, params);
        const report = await verifyLedger(
          deps.ledger,
          { subject: ledgerSubject },
          { checkEvent: deps.checkEvents(), sealKey: deps.sealKey },
        );
        await access(subjectKey(ledgerSubject));
        deps.log.info('api.verify', {
          role: caller.role,
          events: report.events,
          problems: report.problemCount,
        });
        const { events, intact, problems } = report;
        return {
          status: 200,
          body: {
            events,
            intact,
            problems: problems.map(({ kind, seq, eventId }) => ({ kind, seq, eventId })),
          },
        };
      },
    }),
  ];
}
