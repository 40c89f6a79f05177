import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalogue, parseCatalogue } from './catalogue-file.js';

const DEFAULT_FILE = fileURLToPath(
  new URL('../../catalogue/default-catalogue.json', import.meta.url),
);

interface RawPurpose {
  id: string;
  title: Record<string, unknown>;
  confirmationEmail?: Record<string, unknown>;
  dataCategories: string[];
  legalBasis: string;
  explicitConsent: boolean;
  [field: string]: unknown;
}

interface RawCatalogue {
  purposes: RawPurpose[];
  [field: string]: unknown;
}

/** A fresh deep copy of the default file's JSON, to break one thing at a time. */
function defaultJson(): RawCatalogue {
  return JSON.parse(readFileSync(DEFAULT_FILE, 'utf8')) as RawCatalogue;
}

function purpose(raw: RawCatalogue, id: string): RawPurpose {
  const found = raw.purposes.find((p) => p.id === id);
  if (!found) throw new Error(`no purpose ${id} in the default catalogue`);
  return found;
}

function problemWith(raw: unknown): string {
  try {
    parseCatalogue(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('parseCatalogue accepted an invalid catalogue');
}

function isDeeplyFrozen(value: unknown, path = 'catalogue'): string[] {
  if (value === null || typeof value !== 'object') return [];
  const here = Object.isFrozen(value) ? [] : [path];
  return [
    ...here,
    ...Object.entries(value).flatMap(([key, inner]) => isDeeplyFrozen(inner, `${path}.${key}`)),
  ];
}

describe('the default catalogue', () => {
  const catalogue = loadCatalogue(DEFAULT_FILE);

  it('loads with its five purposes', () => {
    expect(catalogue.purposes.map((p) => p.id)).toEqual([
      'newsletter',
      'personalised-offers',
      'analytics',
      'location',
      'partner-sharing',
    ]);
  });

  it('asks an express statement for location only', () => {
    expect(Object.fromEntries(catalogue.purposes.map((p) => [p.id, p.explicitConsent]))).toEqual({
      newsletter: false,
      'personalised-offers': false,
      analytics: false,
      location: true,
      'partner-sharing': false,
    });
  });

  it('drops the $comment meant for editors', () => {
    expect(catalogue).not.toHaveProperty('$comment');
  });

  it('is deeply frozen', () => {
    expect(isDeeplyFrozen(catalogue)).toEqual([]);
    expect(() => {
      (catalogue.purposes[0] as { id: string }).id = 'renamed';
    }).toThrow(TypeError);
    expect(() => {
      (catalogue.purposes as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('parses the same from JSON already read', () => {
    expect(parseCatalogue(defaultJson())).toEqual(catalogue);
  });
});

describe('an invalid catalogue is rejected with what is wrong and where', () => {
  it('missing French title', () => {
    const raw = defaultJson();
    delete purpose(raw, 'analytics').title.fr;
    const message = problemWith(raw);
    expect(message).toContain('CATALOGUE_FILE');
    expect(message).toContain('purposes.2.title.fr');
  });

  it('unknown data category', () => {
    const raw = defaultJson();
    purpose(raw, 'newsletter').dataCategories.push('shoe-size');
    const message = problemWith(raw);
    expect(message).toContain('newsletter');
    expect(message).toContain('unknown data category "shoe-size"');
  });

  it('location data without explicit consent', () => {
    const raw = defaultJson();
    purpose(raw, 'location').explicitConsent = false;
    const message = problemWith(raw);
    expect(message).toContain('"location"');
    expect(message).toContain('explicitConsent');
  });

  it('location data added to a purpose that does not ask an express statement', () => {
    const raw = defaultJson();
    purpose(raw, 'analytics').dataCategories.push('precise-location');
    expect(problemWith(raw)).toMatch(/"analytics".*explicitConsent/);
  });

  it('e-mail purpose without the sentence its confirmation e-mail shows', () => {
    const raw = defaultJson();
    delete purpose(raw, 'partner-sharing').confirmationEmail;
    const message = problemWith(raw);
    expect(message).toContain('CATALOGUE_FILE');
    expect(message).toContain('"partner-sharing"');
    expect(message).toContain('confirmationEmail');
  });

  it('e-mail purpose with its confirmation sentence in one language only', () => {
    const raw = defaultJson();
    delete purpose(raw, 'newsletter').confirmationEmail?.fr;
    expect(problemWith(raw)).toContain('purposes.0.confirmationEmail.fr');
  });

  it('no supervisory authority to complain to', () => {
    const raw = defaultJson();
    delete raw.supervisoryAuthority;
    expect(problemWith(raw)).toContain('supervisoryAuthority');
  });

  it('duplicate purpose id', () => {
    const raw = defaultJson();
    raw.purposes.push({ ...purpose(raw, 'newsletter') });
    expect(problemWith(raw)).toContain('purpose "newsletter" is defined twice');
  });

  it('unknown extra field', () => {
    const raw = defaultJson();
    purpose(raw, 'newsletter').preTicked = true;
    const message = problemWith(raw);
    expect(message).toContain('purposes.0');
    expect(message).toContain('preTicked');
  });

  it('unknown top-level field', () => {
    const raw = defaultJson();
    raw.owner = 'someone';
    expect(problemWith(raw)).toContain('owner');
  });

  it('legal basis that is not an IRI', () => {
    const raw = defaultJson();
    purpose(raw, 'partner-sharing').legalBasis = 'consent';
    expect(problemWith(raw)).toContain('purposes.4.legalBasis');
  });

  it('empty purposes list', () => {
    const raw = defaultJson();
    raw.purposes = [];
    expect(problemWith(raw)).toContain('the catalogue has no purpose');
  });

  it('blank text', () => {
    const raw = defaultJson();
    purpose(raw, 'newsletter').title.en = '   ';
    expect(problemWith(raw)).toContain('purposes.0.title.en');
  });

  it('not an object at all', () => {
    expect(problemWith(null)).toContain('CATALOGUE_FILE');
    expect(problemWith([])).toContain('CATALOGUE_FILE');
  });
});

describe('loadCatalogue on a bad file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'consent-bot-catalogue-'));
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('names CATALOGUE_FILE and the path when the file is missing', () => {
    const missing = join(folder, 'missing.json');
    expect(() => loadCatalogue(missing)).toThrow(/CATALOGUE_FILE/);
    expect(() => loadCatalogue(missing)).toThrow(missing);
  });

  it('names CATALOGUE_FILE when the file is not JSON', () => {
    const notJson = join(folder, 'catalogue.yaml');
    writeFileSync(notJson, 'purposes:\n  - id: newsletter\n');
    expect(() => loadCatalogue(notJson)).toThrow(/CATALOGUE_FILE.*JSON/);
  });

  it('says what is wrong when its JSON is not a valid catalogue', () => {
    const invalid = join(folder, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...defaultJson(), purposes: [] }));
    expect(() => loadCatalogue(invalid)).toThrow(/no purpose/);
  });
});
