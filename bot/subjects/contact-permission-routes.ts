import { z } from 'zod';
import { purposeOf, type Catalogue, type Purpose } from '../../consent/catalogue.js';
import { contactPermission, type ContactPermission } from '../../consent/contact-permission.js';
import { deriveStatuses, type ConsentLedger } from '../../consent/ledger.js';
import { subjectKey, type Subject } from '../../consent/subject.js';
import type { SuppressionList } from '../../consent/suppression.js';
import type { Role } from '../platform/config.js';
import type { Logger } from '../platform/log.js';
import {
  coded,
  error,
  HttpError,
  queryObject,
  route,
  subjectParams,
  type Route,
} from '../http/route.js';
import { isoTime, SubjectBody } from '../http/schemas.js';

export interface ContactPermissionRoutesDeps {
  readonly catalogue: Catalogue;
  readonly ledger: ConsentLedger;
  readonly suppression: SuppressionList;
  /** The keyed hashes under which this person may be suppressed (user id, known e-mails). */
  readonly suppressionHashesOf: (subject: Subject) => Promise<string[]>;
  /** Maps the ids in a request to the ledger's pseudonymous subject. */
  readonly ledgerSubjectOf: (subject: Subject) => Subject;
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
export function contactPermissionRoutes(deps: ContactPermissionRoutesDeps): Route[] {
  const { catalogue, ledger, suppression, log } = deps;
  const now = deps.now ?? (() => new Date());
  const ids = catalogue.purposes.map((p) => p.id);
  const known = `must be one of: ${ids.join(', ')}`;
  const purposeId = coded(
    z
      .string({ error: known })
      .refine((value) => purposeOf(catalogue, value) !== undefined, { error: known })
      .meta({ description: 'A purpose id of the data map', examples: ids }),
    'UNKNOWN_PURPOSE',
  );
  const purposeNamed = (value: string): Purpose => purposeOf(catalogue, value) as Purpose;

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

  const answer = z.object({ allowed: z.boolean(), reason: z.string() });

  return [
    route({
      method: 'GET',
      path: '/api/subjects/:channelId/:userId/contact-permissions',
      summary: 'May this person be contacted for this purpose, now?',
      roles: ROLES,
      params: subjectParams,
      query: queryObject({ purpose: purposeId }),
      access: 'permission.read',
      failure: 'api.contact_permission_failed',
      responses: {
        200: {
          description: 'Yes or no, and why; never the history',
          schema: answer.extend({ subject: SubjectBody, purpose: z.string(), checkedAt: isoTime }),
        },
      },
      handle: async ({ params: subject, query }, { caller, access }) => {
        const purpose = purposeNamed(query.purpose);
        const [suppressed = true] = await suppressedAmong([subject]);
        const { allowed, reason } = await permissionOf(purpose, subject, suppressed);
        await access(subjectKey(deps.ledgerSubjectOf(subject)), { purpose: purpose.id });
        // Asking about a person is an access to personal data: leave a trace, without the person.
        log.info('api.contact_permission_read', {
          role: caller.role,
          purpose: purpose.id,
          subjects: 1,
          allowed: allowed ? 1 : 0,
        });
        return {
          status: 200,
          headers: { 'Cache-Control': 'no-store' },
          body: { subject, purpose: purpose.id, allowed, reason, checkedAt: now().toISOString() },
        };
      },
    }),
    route({
      method: 'POST',
      path: '/api/contact-permissions',
      summary: `The same question for up to ${MAX_BATCH_SUBJECTS.toLocaleString('en')} people at once`,
      roles: ROLES,
      body: z.object({
        purpose: purposeId,
        subjects: coded(
          z.array(SubjectBody, { error: 'must be an array of { channelId, userId }' }),
          'INVALID_SUBJECTS',
        ),
      }),
      access: 'permission.read',
      failure: 'api.contact_permission_failed',
      responses: {
        200: {
          description: 'One answer per subject, in order',
          schema: z.object({
            purpose: z.string(),
            checkedAt: isoTime,
            results: z.array(answer.extend({ subject: SubjectBody })),
          }),
        },
        413: error(`TOO_MANY_SUBJECTS: more than ${MAX_BATCH_SUBJECTS} subjects`),
      },
      handle: async ({ body }, { caller, access }) => {
        const purpose = purposeNamed(body.purpose);
        const { subjects } = body;
        if (subjects.length > MAX_BATCH_SUBJECTS) {
          throw new HttpError(
            413,
            'TOO_MANY_SUBJECTS',
            `at most ${MAX_BATCH_SUBJECTS} subjects per call; split the list`,
          );
        }
        const suppressed = await suppressedAmong(subjects);
        const results = await mapLimited(subjects, READS_IN_FLIGHT, async (subject, i) => {
          const { allowed, reason } = await permissionOf(purpose, subject, suppressed[i] ?? true);
          return { subject, allowed, reason };
        });
        await access('*', { purpose: purpose.id, subjects: subjects.length });
        log.info('api.contact_permission_read', {
          role: caller.role,
          purpose: purpose.id,
          subjects: subjects.length,
          allowed: results.filter((r) => r.allowed).length,
        });
        return {
          status: 200,
          headers: { 'Cache-Control': 'no-store' },
          body: { purpose: purpose.id, checkedAt: now().toISOString(), results },
        };
      },
    }),
  ];
}
