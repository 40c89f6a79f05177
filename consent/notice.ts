import { createHash } from 'node:crypto';

/** sha256 of a notice's exact text, NFC-normalised so the same words always give the same hash. */
export function noticeHash(text: string): string {
  return createHash('sha256').update(text.normalize('NFC'), 'utf8').digest('hex');
}
