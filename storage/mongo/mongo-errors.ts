import { MongoError, MongoServerError } from 'mongodb';
import { StoreUnavailableError } from '../../consent/ledger.js';
import { isCallerError } from '../errors.js';

/** Writes that record consent wait for a majority of the replica set and its journal. */
export const DURABLE = { writeConcern: { w: 'majority', j: true } } as const;

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Runs a driver call. Errors of the caller's making pass through; anything from the driver
 * (network, server selection, a refused write) becomes STORE_UNAVAILABLE.
 */
export async function mongoAttempt<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isCallerError(error)) throw error;
    if (error instanceof MongoError || error instanceof Error) {
      throw new StoreUnavailableError(`Store unavailable: ${what}`, { cause: error });
    }
    throw error;
  }
}
