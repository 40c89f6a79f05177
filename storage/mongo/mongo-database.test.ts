import { describe, expect, it } from 'vitest';
import { databaseName } from './mongo-database.js';

describe('databaseName', () => {
  it.each([
    ['mongodb://localhost:27017', undefined, 'consent_bot'],
    ['mongodb://localhost:27017/', undefined, 'consent_bot'],
    ['mongodb://localhost:27017/proof', undefined, 'proof'],
    ['mongodb://a:1,b:2/proof?replicaSet=rs0', undefined, 'proof'],
    ['mongodb+srv://user:pw@cluster.example.net/consents?retryWrites=true', undefined, 'consents'],
    ['mongodb://localhost:27017/proof', 'override', 'override'],
  ])('%s (MONGODB_DB=%s) -> %s', (uri, explicit, expected) => {
    expect(databaseName(uri, explicit)).toBe(expected);
  });
});
