import type { Collection, Db } from 'mongodb';
import {
  checkAddressSubject,
  checkVerifiedAddress,
  type ContactAddresses,
  type VerifiedAddress,
} from '../../consent/contact-addresses.js';
import type { Subject } from '../../consent/subject.js';
import { DURABLE, isDuplicateKey, mongoAttempt } from './mongo-errors.js';

/**
 * One subject's verified address. `_id` is the subject as a JSON pair (no separator inside an id
 * can make two subjects one); channelId and userId are repeated as plain string fields, so ids
 * with "." or "$" are values, never field names.
 */
interface AddressDocument {
  _id: string;
  channelId: string;
  userId: string;
  email: string;
  /** Canonical ISO string, like every date the Mongo stores keep. */
  verifiedAt: string;
}

const idOf = (subject: Subject): string => JSON.stringify([subject.channelId, subject.userId]);

/**
 * Verified addresses on MongoDB (6-8) and FerretDB v1, collection `contact_addresses`.
 *
 * `set` is a plain `replaceOne` with upsert, not a compare-and-set: the address to keep is the one
 * confirmed last, so last writer wins is the intended meaning, and nothing here relies on a
 * conditional update being atomic (FerretDB v1 applies neither those nor findOneAndDelete
 * atomically; see ARCHITECTURE.md). Two first `set`s racing can both try the upsert's insert; the
 * loser's duplicate key means the document now exists, and its replace is retried as an update.
 */
export class MongoContactAddresses implements ContactAddresses {
  readonly #addresses: Collection<AddressDocument>;

  constructor(db: Db) {
    this.#addresses = db.collection<AddressDocument>('contact_addresses');
  }

  /** Idempotent, for the start-up loop: every read and write goes by `_id`, so no index is needed. */
  ensureIndexes(): Promise<void> {
    return Promise.resolve();
  }

  set(subject: Subject, address: VerifiedAddress): Promise<void> {
    return mongoAttempt('write contact address', async () => {
      checkVerifiedAddress(subject, address);
      const _id = idOf(subject);
      const doc: AddressDocument = {
        _id,
        channelId: subject.channelId,
        userId: subject.userId,
        email: address.email,
        verifiedAt: address.verifiedAt,
      };
      const replace = () => this.#addresses.replaceOne({ _id }, doc, { upsert: true, ...DURABLE });
      try {
        await replace();
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        await replace();
      }
    });
  }

  get(subject: Subject): Promise<VerifiedAddress | undefined> {
    return mongoAttempt('read contact address', async () => {
      checkAddressSubject(subject);
      const doc = await this.#addresses.findOne({ _id: idOf(subject) });
      return doc ? { email: doc.email, verifiedAt: doc.verifiedAt } : undefined;
    });
  }

  delete(subject: Subject): Promise<boolean> {
    return mongoAttempt('delete contact address', async () => {
      checkAddressSubject(subject);
      const result = await this.#addresses.deleteOne({ _id: idOf(subject) }, DURABLE);
      return result.deletedCount === 1;
    });
  }
}
