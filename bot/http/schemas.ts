import { z } from 'zod';
import { DECISIONS } from '../../consent/ledger.js';
import { id } from './route.js';

/** Shapes several routes answer with: components of the OpenAPI document. */

const isoTime = z.iso.datetime();
const count = z.int().min(0);

export const SubjectBody = z.object({ channelId: id, userId: id }).meta({ id: 'Subject' });

export const ConsentEventBody = z
  .looseObject({
    id: z.string(),
    seq: z.int().min(1),
    recordedAt: isoTime,
    subject: SubjectBody,
    purposeId: z.string(),
    purposeVersion: z.int().optional(),
    catalogueVersion: z.string(),
    decision: z.enum(DECISIONS),
    noticeHash: z.string().nullable().optional(),
    locale: z.string().optional(),
    channelId: z.string().optional(),
    conversationId: z.string().optional(),
    activityId: z.string().optional(),
    source: z.string().optional(),
    explicit: z.boolean().optional(),
    transcript: z.object({ activities: count, digest: z.string(), firstAt: isoTime }).optional(),
    prevHash: z.string(),
    hash: z.string(),
    // HMAC of hash under a key derived from the server's secret; absent on older events.
    seal: z.string().optional(),
  })
  .meta({ id: 'ConsentEvent' });

export const ChainProblemBody = z
  .object({
    kind: z.enum([
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
    ]),
    seq: z.int(),
    eventId: z.string(),
  })
  .meta({ id: 'ChainProblem' });

export { count, isoTime };
