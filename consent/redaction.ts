/**
 * Removes personal data that a consent conversation never needs from text before it is kept in a
 * transcript. GDPR art. 5(1)(c), data minimisation: the ledger proves consent; a transcript is
 * supporting evidence, and an e-mail address, phone number, IBAN or card number typed into the
 * chat adds nothing to that proof, only risk (art. 32) and a longer list of what to erase (art. 17).
 *
 * Detection favours precision on numbers (checksums for IBANs and cards, fixed shapes for phone
 * numbers) so that dates, prices, times, order numbers and purpose ids stay readable.
 */
export interface Redacted {
  readonly text: string;
  /** How many values were replaced by a marker. */
  readonly redactions: number;
}

export const REDACTION_MARKERS = {
  email: '[email]',
  phone: '[phone]',
  iban: '[iban]',
  card: '[card]',
} as const;

/** Not preceded by a letter, digit or "+": a value starts at a word edge, never inside one. */
const START = String.raw`(?<![\p{L}\p{N}+])`;
/** Not followed by a letter or digit. */
const END = String.raw`(?![\p{L}\p{N}])`;

const LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?`;
/**
 * The local part starts where a run of its characters starts: tried from every character of a run
 * instead, a long run without "@" cost the square of its length (a 240 KB word, minutes), and the
 * transcript logger redacts every message before the opt-out guard runs. No address is lost: from
 * inside a run, the "@" and what follows are the same as from its start.
 */
const EMAIL = new RegExp(
  String.raw`(?<![\p{L}\p{N}._%+'-])[\p{L}\p{N}._%+'-]+@${LABEL}(?:\.${LABEL})*\.\p{L}{2,}${END}`,
  'gu',
);

/** Two letters, two check digits, then 11 to 30 letters or digits, grouped or not. */
const IBAN_CANDIDATE = new RegExp(
  String.raw`${START}[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,30}`,
  'gu',
);

/**
 * IBAN length per country (ISO 13616 registry). A known country must have exactly its length; an
 * unknown one any length from 15 to 34, still behind the mod-97 check.
 */
// prettier-ignore
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25,
  QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27,
  SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** A card number has 13 to 19 digits, so it spans at most 19 groups of digits. */
const CARD_DIGITS = 19;

/**
 * Runs of digits separated by single spaces or dashes, not part of a decimal number, of at most
 * CARD_DIGITS groups of at most CARD_DIGITS digits: unbounded, every rejected candidate was read
 * again from its next group to the end of the run, and "1 1 1 ..." of 2,000 characters took
 * seconds (the cube of its length). Longer runs hold no other card numbers than their first
 * CARD_DIGITS groups do.
 */
const CARD_CANDIDATE = new RegExp(
  String.raw`${START}(?<!\d[.,])\d{1,${CARD_DIGITS}}(?:[ -]\d{1,${CARD_DIGITS}}){0,${CARD_DIGITS - 1}}(?![\p{L}\p{N}]|[.,]\d)`,
  'gu',
);

/** International: "+" or "00", a country code, then 6 to 14 more digits in groups. */
const INTERNATIONAL_PHONE = new RegExp(
  String.raw`${START}(?:\+|00)[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,8}${END}`,
  'gu',
);

/** French national numbers: 0X XX XX XX XX, with spaces, dots, dashes or nothing between pairs. */
const FRENCH_PHONE = new RegExp(String.raw`${START}0[1-9](?:[ .-]?\d{2}){4}${END}`, 'gu');

function ibanIsValid(compact: string): boolean {
  const expected = IBAN_LENGTHS[compact.slice(0, 2)];
  if (
    expected === undefined
      ? compact.length < 15 || compact.length > 34
      : compact.length !== expected
  ) {
    return false;
  }
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48; // A=10 ... Z=35
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

function luhnIsValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * The longest prefix of an IBAN candidate that validates and ends at a word edge: a greedy match
 * may have swallowed a following word ("FR76 ... 189 merci"). Returns its length in `raw`.
 */
function validIbanPrefix(raw: string, after: string): number {
  const positions: number[] = []; // positions[i]: end in raw of the (i + 1)th significant char
  let compact = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] ?? '';
    if (char === ' ' || char === '-') continue;
    compact += char.toUpperCase();
    positions.push(i + 1);
  }
  for (let length = compact.length; length >= 15; length--) {
    const end = positions[length - 1] ?? 0;
    const next = end < raw.length ? raw.charAt(end) : after.charAt(0);
    if (/[\p{L}\p{N}]/u.test(next)) continue;
    if (ibanIsValid(compact.slice(0, length))) return end;
  }
  return 0;
}

/**
 * The longest run of whole groups that is a Luhn-valid card number: "4111 1111 1111 1111 123"
 * (number then security code) still hides the number. Grouped digits need groups of 3 or more,
 * the way card numbers are printed (4-4-4-4, 4-6-5), so dates and phone numbers never qualify.
 */
function validCardPrefix(raw: string): number {
  const groups = raw.split(/[ -]/);
  let total = 0;
  const digitsIn = groups.map((group) => (total += group.length));
  for (let count = groups.length; count >= 1; count--) {
    const length = digitsIn[count - 1] ?? 0;
    if (length < 13 || length > CARD_DIGITS) continue;
    const taken = groups.slice(0, count);
    if (count > 1 && taken.some((group) => group.length < 3)) continue;
    const digits = taken.join('');
    if (luhnIsValid(digits)) return taken.join(' ').length;
  }
  return 0;
}

function digitCount(text: string): number {
  return text.replace(/\D/g, '').length;
}

/**
 * Replaces every candidate of `pattern` that `validEnd` accepts (it returns how much of the
 * candidate to replace, 0 for none). A rejected candidate is searched again from its second
 * character, so a number that starts inside it is still found.
 */
function replaceValidated(
  text: string,
  pattern: RegExp,
  validEnd: (candidate: string, rest: string) => number,
  replace: () => string,
): string {
  let output = '';
  let copiedUpTo = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const end = validEnd(match[0], text.slice(match.index + match[0].length));
    if (end === 0) {
      pattern.lastIndex = match.index + 1;
      continue;
    }
    output += text.slice(copiedUpTo, match.index) + replace();
    copiedUpTo = match.index + end;
    pattern.lastIndex = copiedUpTo;
  }
  return output + text.slice(copiedUpTo);
}

/**
 * Replaces e-mail addresses, phone numbers, IBANs and payment card numbers with `[email]`,
 * `[phone]`, `[iban]` and `[card]`. Pure and deterministic; the input is never logged.
 */
export function redactPersonalData(text: string): Redacted {
  let redactions = 0;
  const mark = (marker: string) => (): string => {
    redactions += 1;
    return marker;
  };

  // E-mail first: an address may hold digits that look like a phone number.
  let result = text.replace(EMAIL, mark(REDACTION_MARKERS.email));
  // IBANs before cards: an IBAN's digits may form a Luhn-valid run.
  result = replaceValidated(result, IBAN_CANDIDATE, validIbanPrefix, mark(REDACTION_MARKERS.iban));
  result = replaceValidated(result, CARD_CANDIDATE, validCardPrefix, mark(REDACTION_MARKERS.card));

  result = replaceValidated(
    result,
    INTERNATIONAL_PHONE,
    (candidate) => {
      // E.164: at most 15 digits after the "+"; fewer than 8 is no reachable number.
      const digits = digitCount(candidate) - (candidate.startsWith('00') ? 2 : 0);
      return digits >= 8 && digits <= 15 ? candidate.length : 0;
    },
    mark(REDACTION_MARKERS.phone),
  );
  result = result.replace(FRENCH_PHONE, mark(REDACTION_MARKERS.phone));

  return { text: result, redactions };
}
