import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { ReadinessProbe } from '../readiness.js';
import { DURABLE, mongoAttempt } from './mongo-errors.js';

interface ProbeDocument {
  _id: string;
  nonce: string;
  at: Date;
}

/**
 * Readiness on MongoDB: one document, rewritten by each probe with the ledger's write concern
 * (majority, journaled) and returned by the same command, so replicas probing at once cannot read
 * each other's nonce.
 */
export class MongoReadiness implements ReadinessProbe {
  readonly #probes: Collection<ProbeDocument>;

  constructor(db: Db) {
    this.#probes = db.collection<ProbeDocument>('readiness_probe');
  }

  check(): Promise<void> {
    return mongoAttempt('readiness probe', async () => {
      const nonce = randomUUID();
      const written = await this.#probes.findOneAndUpdate(
        { _id: 'probe' },
        { $set: { nonce, at: new Date() } },
        { upsert: true, returnDocument: 'after', ...DURABLE },
      );
      if (written?.nonce !== nonce) throw new Error('the probe record did not read back');
    });
  }
}
