import type { Request, Response, Server } from 'restify';
import type { AccessLog } from '../../consent/access-log.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import type { Authenticator } from '../http/auth.js';
import type { Role } from '../platform/config.js';
import { errorFields, type Logger } from '../platform/log.js';
import { eraseSubject, exportSubject, type SubjectDataDeps } from './subject-data.js';
import { admitSubject, fail, recordAccess } from '../http/http-common.js';

export interface RightsRoutesDeps extends SubjectDataDeps {
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  /** Where each access to personal data is recorded before the data is sent. */
  readonly accessLog: AccessLog;
  /** Who may call: API_TOKENS and, when configured, JWT bearer tokens. */
  readonly auth: Authenticator;
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
export function registerRightsRoutes(server: Server, deps: RightsRoutesDeps): void {
  const { log } = deps;
  const now = deps.now ?? (() => new Date());

  const admitted = (req: Request, res: Response) => admitSubject(req, res, deps.auth, ROLES);

  const failed = (res: Response, event: string, role: Role, error: unknown): void => {
    log.error(event, { role, ...errorFields(error) });
    if (error instanceof RangeError) {
      fail(res, 400, 'INVALID_SUBJECT', 'these ids cannot name a person');
    } else {
      // An erasure may have done part of its work (suppression first): repeating it is safe.
      fail(res, 503, 'STORE_UNAVAILABLE', 'the store is unavailable; try again, it is safe to');
    }
  };

  server.get('/api/subjects/:channelId/:userId/export', async (req: Request, res: Response) => {
    const caller = await admitted(req, res);
    if (!caller) return;
    const { role, subject } = caller;
    try {
      const ledgerSubject = deps.ledgerSubjectOf(subject);
      const exp = await exportSubject(deps, subject, ledgerSubject);
      const target = subjectKey(ledgerSubject);
      if (!(await recordAccess(res, deps.accessLog, caller, 'subject.export', target))) return;
      log.info('api.subject_exported', {
        role,
        events: exp.history.length,
        activities: exp.transcripts.activities,
        conversations: exp.transcripts.conversations.length,
        address: exp.contactAddress !== null,
        pending: exp.pendingConfirmations,
        suppressed: exp.suppression.listed,
      });
      // A file to hand to the person; the name says when, never who.
      const day = exp.generatedAt.slice(0, 10);
      res.header('Content-Disposition', `attachment; filename="subject-export-${day}.json"`);
      res.header('Cache-Control', 'no-store');
      res.send(200, exp);
    } catch (error) {
      failed(res, 'api.subject_export_failed', role, error);
    }
  });

  server.post('/api/subjects/:channelId/:userId/erasure', async (req: Request, res: Response) => {
    const caller = await admitted(req, res);
    if (!caller) return;
    const { role, subject } = caller;
    try {
      const ledgerSubject = deps.ledgerSubjectOf(subject);
      // Recorded first: an erasure that cannot be accounted for does not happen.
      const target = subjectKey(ledgerSubject);
      if (!(await recordAccess(res, deps.accessLog, caller, 'subject.erase', target))) return;
      const report = await eraseSubject(deps, subject, ledgerSubject, now());
      log.info('api.subject_erased', {
        role,
        activities: report.erased.transcriptActivities,
        address: report.erased.contactAddress,
        pending: report.erased.pendingConfirmations,
        states: report.erased.conversationStates,
        keptEvents: report.kept.consentEvents.count,
        suppressed: report.kept.suppression.kinds.join(','),
      });
      res.header('Cache-Control', 'no-store');
      res.send(200, report);
    } catch (error) {
      failed(res, 'api.subject_erasure_failed', role, error);
    }
  });
}
