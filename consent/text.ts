/**
 * The one normalisation every understanding of a customer's words starts from: opt-out detection
 * (consent/opt-out.ts) and the intent recogniser (dialogs/intents.ts) must read the same text, or
 * a message could be a stop for one and a "yes" for the other.
 *
 * Pure, linear in the length of the text: each step is one pass of a single character class.
 */

/**
 * Invisible characters (Unicode general category Cf, "format", and the Default_Ignorable_Code_Point
 * property: zero-width space and joiners, word joiner, soft hyphen, BOM, variation selectors, Hangul
 * fillers). They render as nothing, so "st\u200Bop" reads "stop" on screen and must be understood
 * as "stop" (GDPR art. 7(3): a stop that the customer sees they typed is a stop). They are removed,
 * joining the word around them, never turned into a space.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * Whitespace of every kind but the plain space: Unicode separators (Zs, Zl, Zp: no-break space,
 * ideographic space, line and paragraph separators) and the control characters that mean a space
 * or a line break (tab, LF, VT, FF, CR, NEL). `\s` is not used: it counts U+FEFF as a space, and a
 * BOM inside a word must join it. Plain spaces are left to the last pass: replacing each of them
 * by itself made this pass ten times slower on long messages.
 */
const WHITESPACE = /(?! )[\t\n\v\f\r\u0085\p{Z}]/gu;

/** Other control characters (category Cc: NUL, ESC, DEL...) are invisible too: removed, joining. */
const CONTROL = /\p{Cc}/gu;

/**
 * Compatibility-composed (NFKC: "ＳＴＯＰ" is "STOP", "ﬁ" is "fi"), without invisible or control
 * characters, every run of whitespace one space, trimmed. Case, accents and punctuation are kept:
 * an e-mail address or a quoted phrase must survive as typed.
 */
export function normaliseText(text: string): string {
  return (
    text
      .replace(INVISIBLE, '')
      // Whitespace before control characters: tab and line breaks are both, and must stay breaks.
      .replace(WHITESPACE, ' ')
      .replace(CONTROL, '')
      // After the removals, so that a letter and a combining mark split by an invisible one compose.
      .normalize('NFKC')
      // NFKC also turns a few characters into a space and a mark ("¨").
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}
