import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkCatalogue, DATA_KINDS, type Catalogue } from '../../consent/catalogue.js';

const text = z.object({ en: z.string().trim().min(1), fr: z.string().trim().min(1) }).strict();
const iri = z.url();

const schema = z
  .object({
    $comment: z.string().optional(),
    version: z.string().min(1),
    controller: z
      .object({
        name: z.string().min(1),
        contact: z.string().min(1),
        dpoContact: z.string().min(1).optional(),
        privacyNoticeUrl: z.object({ en: iri, fr: iri }).strict().optional(),
        postalAddress: z
          .object({
            streetAddress: z.string().min(1).optional(),
            postalCode: z.string().min(1).optional(),
            addressLocality: z.string().min(1).optional(),
            addressRegion: z.string().min(1).optional(),
            addressCountry: z.string().min(2).optional(),
          })
          .strict()
          .optional(),
        phone: z.string().min(3).optional(),
        url: iri.optional(),
      })
      .strict(),
    supervisoryAuthority: z
      .object({ name: text, url: z.object({ en: iri, fr: iri }).strict() })
      .strict(),
    dataCategories: z.array(
      z
        .object({
          id: z.string().regex(/^[a-z0-9-]+$/),
          kind: z.enum(Object.keys(DATA_KINDS) as [keyof typeof DATA_KINDS]),
          label: text,
          dpv: iri.optional(),
        })
        .strict(),
    ),
    purposes: z.array(
      z
        .object({
          id: z.string().regex(/^[a-z0-9-]+$/, 'ids are lower-case words joined by "-"'),
          version: z.number().int().min(1),
          title: text,
          explanation: text,
          question: text,
          details: text,
          dataCategories: z.array(z.string()).min(1),
          legalBasis: iri,
          retention: text,
          recipients: text,
          explicitConsent: z.boolean(),
          contactChannel: z.enum(['email', 'sms', 'none']).optional(),
          confirmationEmail: text.optional(),
          keywords: z
            .object({ en: z.array(z.string().min(1)), fr: z.array(z.string().min(1)) })
            .strict(),
          dpvPurposes: z.array(iri),
        })
        .strict(),
    ),
  })
  .strict();

/** Reads and validates the company's data map; any problem stops the server with its path. */
export function loadCatalogue(file: string): Catalogue {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`CATALOGUE_FILE ${file}: cannot read it as JSON`, { cause: error });
  }
  return parseCatalogue(raw, file);
}

export function parseCatalogue(raw: unknown, source = 'catalogue'): Catalogue {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`CATALOGUE_FILE ${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const { $comment: _comment, ...catalogue } = parsed.data;
  try {
    return checkCatalogue(deepFreeze(catalogue));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`CATALOGUE_FILE ${source}: ${reason}`, { cause: error });
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
