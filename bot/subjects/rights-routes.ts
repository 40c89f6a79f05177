import { z } from 'zod';
import { subjectKey, type Subject } from '../../consent/subject.js';
import type { Role } from '../platform/config.js';
import type { Logger } from '../platform/log.js';
import { eraseSubject, exportSubject, type SubjectDataDeps } from './subject-data.js';
import { personOf, route, subjectParams, type Route } from '../http/route.js';

export interface RightsRoutesDeps extends SubjectDataDeps {
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  readonly log: Logger;
}

/**
 * Agents act for a customer who asked them; compliance answers requests that came by letter or
 * e-mail. Marketing never reads a person's data nor erases it.
 */
const ROLES: readonly Role[] = ['agent', 'compliance'];

/**
 * The person's rights through the API (GDPR art. 15, 17 and 21(3)), for the agent or
 * compliance officer who handles a request: the same export and erasure as in the chat. Every call
 * is an access to, or a deletion of, personal data: it is logged with the caller's role and the
 * counts, never with the ids or an address.
 */
export function rightsRoutes(deps: RightsRoutesDeps): Route[] {
  const { log } = deps;
  const now = deps.now ?? (() => new Date());
  return [
    route({
      method: 'GET',
      path: '/api/subjects/:channelId/:userId/export',
      summary: 'Right of access (GDPR art. 15): everything held about the person',
      roles: ROLES,
      params: subjectParams,
      access: 'subject.export',
      failure: 'api.subject_export_failed',
      responses: {
        200: {
          description: 'The export, as a file to hand to the person',
          schema: z.looseObject({
            format: z.string(),
            generatedAt: z.string(),
            subject: z.unknown(),
            purposes: z.unknown(),
            history: z.array(z.unknown()),
          }),
        },
      },
      handle: async ({ params: subject }, { caller, access }) => {
        const ledgerSubject = personOf(deps.ledgerSubjectOf, subject);
        const exp = await exportSubject(deps, subject, ledgerSubject);
        await access(subjectKey(ledgerSubject));
        log.info('api.subject_exported', {
          role: caller.role,
          events: exp.history.length,
          activities: exp.transcripts.activities,
          conversations: exp.transcripts.conversations.length,
          hasAddress: exp.contactAddress !== null,
          pending: exp.pendingConfirmations,
          suppressed: exp.suppression.listed,
        });
        // A file to hand to the person; the name says when, never who.
        const day = exp.generatedAt.slice(0, 10);
        return {
          status: 200,
          body: exp,
          headers: {
            'Content-Disposition': `attachment; filename="subject-export-${day}.json"`,
            'Cache-Control': 'no-store',
          },
        };
      },
    }),
    route({
      method: 'POST',
      path: '/api/subjects/:channelId/:userId/erasure',
      summary: 'Right to erasure (GDPR art. 17): suppress, then delete; proof is kept',
      roles: ROLES,
      params: subjectParams,
      access: 'subject.erase',
      failure: 'api.subject_erasure_failed',
      responses: {
        200: {
          description: 'What was erased and what was kept, and why',
          schema: z.looseObject({ erasedAt: z.string(), erased: z.unknown(), kept: z.unknown() }),
        },
      },
      handle: async ({ params: subject }, { caller, access }) => {
        const ledgerSubject = personOf(deps.ledgerSubjectOf, subject);
        // Recorded first: an erasure that cannot be accounted for does not happen.
        await access(subjectKey(ledgerSubject));
        const report = await eraseSubject(deps, subject, ledgerSubject, now());
        log.info('api.subject_erased', {
          role: caller.role,
          activities: report.erased.transcriptActivities,
          hasAddress: report.erased.contactAddress,
          pending: report.erased.pendingConfirmations,
          states: report.erased.conversationStates,
          keptEvents: report.kept.consentEvents.count,
          suppressed: report.kept.suppression.kinds.join(','),
        });
        return { status: 200, body: report, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
  ];
}
