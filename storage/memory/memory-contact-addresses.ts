import {
  checkAddressSubject,
  checkVerifiedAddress,
  type ContactAddresses,
  type VerifiedAddress,
} from '../../consent/contact-addresses.js';
import type { Subject } from '../../consent/subject.js';
import { attempt } from '../errors.js';

/** The key of a subject: a JSON pair, so no separator inside an id can make two subjects one. */
const keyOf = (subject: Subject): string => JSON.stringify([subject.channelId, subject.userId]);

/** Verified addresses in memory, for tests. JSON both ways, like the other memory stores. */
export class MemoryContactAddresses implements ContactAddresses {
  readonly #addresses = new Map<string, string>();

  set(subject: Subject, address: VerifiedAddress): Promise<void> {
    // Through attempt() so a bad address rejects the promise, as the durable stores do.
    return attempt('write contact address', () => {
      checkVerifiedAddress(subject, address);
      const { email, verifiedAt } = address;
      this.#addresses.set(keyOf(subject), JSON.stringify({ email, verifiedAt }));
    });
  }

  get(subject: Subject): Promise<VerifiedAddress | undefined> {
    return attempt('read contact address', () => {
      checkAddressSubject(subject);
      const json = this.#addresses.get(keyOf(subject));
      return json === undefined ? undefined : (JSON.parse(json) as VerifiedAddress);
    });
  }

  delete(subject: Subject): Promise<boolean> {
    return attempt('delete contact address', () => {
      checkAddressSubject(subject);
      return this.#addresses.delete(keyOf(subject));
    });
  }
}
