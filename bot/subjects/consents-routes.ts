import { z } from 'zod';
import type { Catalogue } from '../../consent/catalogue.js';
import { deriveStatuses, STATUSES, type ConsentLedger } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import { ConsentEventBody, SubjectBody } from '../http/schemas.js';
import { personOf, route, subjectParams, type Route } from '../http/route.js';
import type { Logger } from '../platform/log.js';

export interface ConsentsRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  /** Maps the ids in a URL to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly log: Logger;
}

/** A person's current choices and their whole history, for the agent or the officer. */
export function consentsRoutes(deps: ConsentsRoutesDeps): Route[] {
  const { catalogue, ledger, log } = deps;
  return [
    route({
      method: 'GET',
      path: '/api/subjects/:channelId/:userId/consents',
      summary: "A person's current choices and full consent history",
      roles: ['compliance', 'agent'],
      params: subjectParams,
      access: 'consents.read',
      failure: 'api.consents_failed',
      responses: {
        200: {
          description: 'Current status per purpose, and every event',
          schema: z.object({
            subject: SubjectBody,
            catalogueVersion: z.string(),
            purposes: z.array(z.looseObject({ purposeId: z.string(), status: z.enum(STATUSES) })),
            events: z.array(ConsentEventBody),
          }),
        },
      },
      handle: async ({ params: subject }, { caller, access }) => {
        const ledgerSubject = personOf(deps.ledgerSubjectOf, subject);
        const history = await ledger.history(ledgerSubject);
        // Reading a person's choices is itself an access to personal data: leave a trace.
        await access(subjectKey(ledgerSubject));
        log.info('api.consents_read', { role: caller.role, events: history.length });
        return {
          status: 200,
          body: {
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
          },
        };
      },
    }),
  ];
}
