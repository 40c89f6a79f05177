import type { TestProject } from 'vitest/node';
import { startMongoTarget, type MongoTarget } from './mongo-target.js';

/**
 * Vitest globalSetup of the `mongo` project (vitest.config.ts): ONE MongoDB-wire server for the
 * whole run (see test/mongo-target.ts for where it comes from), started only when a file of that
 * project runs. Tests read its URI with `inject('mongoUri')` from 'vitest', and give each test its
 * own database name so they can run in parallel against the one server.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    mongoKind: string;
  }
}

let target: MongoTarget | undefined;

export async function setup({ provide }: TestProject): Promise<void> {
  target = await startMongoTarget();
  provide('mongoUri', target.uri);
  provide('mongoKind', target.kind);
}

export async function teardown(): Promise<void> {
  const started = target;
  target = undefined;
  await started?.stop();
}
