import type { Request, Response, Server } from 'restify';
import { purposeOf, type Catalogue, type Purpose } from '../../consent/catalogue.js';
import { contactPermission, type ContactPermission } from '../../consent/contact-permission.js';
import { deriveStatuses, type ConsentLedger } from '../../consent/ledger.js';
import type { AccessLog } from '../../consent/access-log.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import type { SuppressionList } from '../../consent/suppression.js';
import type { Authenticator } from '../http/auth.js';
import type { Role } from '../platform/config.js';
import { errorFields, type Logger } from '../platform/log.js';
import {
  admit,
  fail,
  ID_RULE,
  recordAccess,
  subjectFrom,
  type Caller,
} from '../http/http-common.js';

export interface ContactPermissionRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly suppression: SuppressionList;
  /** The keyed hashes under which this person may be suppressed (user id, known e-mails). */
  readonly suppressionHashesOf: (subject: Subject) => Promise<string[]>;
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
  /** Where each access to personal data is recorded before the data is sent. */
  readonly accessLog: AccessLog;
  /** Who may call: API_TOKENS and, when configured, JWT bearer tokens. */
  readonly auth: Authenticator;
  readonly log: Logger;
  readonly now?: () => Date;
}

/** Marketing asks before sending; agents and compliance may ask too. None of them reads history. */
const ROLES: readonly Role[] = ['marketing', 'agent', 'compliance'];

/** Subjects one batch call may ask about. */
export const MAX_BATCH_SUBJECTS = 1000;

/** Ledger reads in flight for one batch: quick, without taking the whole connection pool. */
const READS_IN_FLIGHT = 16;

/** Runs `work` on every item with at most `limit` in flight, answers in the items' order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Contact permission for the rest of the company (GDPR art. 7(3), 21(3)): may this person be
 * contacted for this purpose right now, and why not. Every answer reads the ledger's latest events
 * and the suppression list at the time of the call, never a cache, so a stop is visible in the very
 * next call. The answer carries a yes or no and a reason, never the person's history.
 */
export function registerContactPermissionRoutes(
  server: Server,
  deps: ContactPermissionRoutesDeps,
): void {
  const { catalogue, ledger, suppression, log } = deps;
  const now = deps.now ?? (() => new Date());

  const authorised = (req: Request, res: Response): Promise<Caller | undefined> =>
    admit(req, res, deps.auth, ROLES);

  const knownPurpose = (res: Response, id: unknown): Purpose | undefined => {
    const purpose = typeof id === 'string' ? purposeOf(catalogue, id) : undefined;
    if (!purpose) {
      fail(
        res,
        400,
        'UNKNOWN_PURPOSE',
        `purpose must be one of: ${catalogue.purposes.map((p) => p.id).join(', ')}`,
      );
    }
    return purpose;
  };

  /** Whether each subject is listed, with one suppression look-up for all of them. */
  const suppressedAmong = async (subjects: readonly Subject[]): Promise<boolean[]> => {
    const hashes = await mapLimited(subjects, READS_IN_FLIGHT, (s) => deps.suppressionHashesOf(s));
    const listed = new Set(
      (await suppression.anyOf([...new Set(hashes.flat())])).map((e) => e.hash),
    );
    return hashes.map((own) => own.some((hash) => listed.has(hash)));
  };

  const permissionOf = async (
    purpose: Purpose,
    subject: Subject,
    suppressed: boolean,
  ): Promise<ContactPermission> => {
    const latest = await ledger.latest(deps.ledgerSubjectOf(subject));
    const status = deriveStatuses(catalogue, latest).find((s) => s.purposeId === purpose.id);
    return contactPermission({ purpose, status, suppressed });
  };

  server.get(
    '/api/subjects/:channelId/:userId/contact-permissions',
    async (req: Request, res: Response) => {
      const caller = await authorised(req, res);
      if (!caller) return;
      const { role } = caller;
      const query = (req.query ?? {}) as Record<string, unknown>;
      const purpose = knownPurpose(res, query.purpose);
      if (!purpose) return;
      const subject = subjectFrom(req.params);
      if (!subject) {
        fail(res, 400, 'INVALID_SUBJECT', `channelId and userId must be ${ID_RULE}`);
        return;
      }
      try {
        const [suppressed = true] = await suppressedAmong([subject]);
        const answer = await permissionOf(purpose, subject, suppressed);
        const target = subjectKey(deps.ledgerSubjectOf(subject));
        const detail = { purpose: purpose.id };
        if (!(await recordAccess(res, deps.accessLog, caller, 'permission.read', target, detail))) {
          return;
        }
        // Asking about a person is an access to personal data: leave a trace, without the person.
        log.info('api.contact_permission_read', {
          role,
          purpose: purpose.id,
          subjects: 1,
          allowed: answer.allowed ? 1 : 0,
        });
        res.header('Cache-Control', 'no-store');
        res.send(200, {
          subject,
          purpose: purpose.id,
          allowed: answer.allowed,
          reason: answer.reason,
          checkedAt: now().toISOString(),
        });
      } catch (error) {
        log.error('api.contact_permission_failed', { role, ...errorFields(error) });
        fail(res, 503, 'STORE_UNAVAILABLE', 'the consent store is unavailable, try again');
      }
    },
  );

  server.post('/api/contact-permissions', async (req: Request, res: Response) => {
    const caller = await authorised(req, res);
    if (!caller) return;
    const { role } = caller;
    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      fail(
        res,
        400,
        'INVALID_REQUEST',
        'the body must be JSON: { "purpose": ..., "subjects": [...] }',
      );
      return;
    }
    const { purpose: purposeId, subjects: rawSubjects } = body as Record<string, unknown>;
    const purpose = knownPurpose(res, purposeId);
    if (!purpose) return;
    if (!Array.isArray(rawSubjects)) {
      fail(res, 400, 'INVALID_SUBJECTS', 'subjects must be an array of { channelId, userId }');
      return;
    }
    if (rawSubjects.length > MAX_BATCH_SUBJECTS) {
      fail(
        res,
        413,
        'TOO_MANY_SUBJECTS',
        `at most ${MAX_BATCH_SUBJECTS} subjects per call; split the list`,
      );
      return;
    }
    const subjects: Subject[] = [];
    for (const [index, raw] of rawSubjects.entries()) {
      const subject = subjectFrom(raw);
      if (!subject) {
        fail(
          res,
          400,
          'INVALID_SUBJECTS',
          `subjects[${index}] must be { channelId, userId }, each ${ID_RULE}`,
        );
        return;
      }
      subjects.push(subject);
    }
    try {
      const suppressed = await suppressedAmong(subjects);
      const results = await mapLimited(subjects, READS_IN_FLIGHT, async (subject, i) => {
        const { allowed, reason } = await permissionOf(purpose, subject, suppressed[i] ?? true);
        return { subject, allowed, reason };
      });
      const detail = { purpose: purpose.id, subjects: subjects.length };
      if (!(await recordAccess(res, deps.accessLog, caller, 'permission.read', '*', detail))) {
        return;
      }
      log.info('api.contact_permission_read', {
        role,
        purpose: purpose.id,
        subjects: subjects.length,
        allowed: results.filter((r) => r.allowed).length,
      });
      res.header('Cache-Control', 'no-store');
      res.send(200, { purpose: purpose.id, checkedAt: now().toISOString(), results });
    } catch (error) {
      log.error('api.contact_permission_failed', { role, ...errorFields(error) });
      fail(res, 503, 'STORE_UNAVAILABLE', 'the consent store is unavailable, try again');
    }
  });
}
