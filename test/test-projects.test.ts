import { describe, expect, it } from 'vitest';
import config, { mongoTestFiles } from '../vitest.config.js';

// Which files start the MongoDB-wire server is decided by reading them (vitest.config.ts): these
// tests hold that decision against the real files of the repository.
describe('the two test projects', () => {
  const files = mongoTestFiles();

  it('puts every file that reads the run MongoDB URI in the mongo project, and only those', () => {
    expect(files).toContain('storage/mongo/mongo-stores.test.ts'); // through test/mongo-database.ts
    expect(files).toContain('test/processes.test.ts'); // inject('mongoUri') itself
    // Imports storage/mongo/mongo-database.ts (production code), not the test helper.
    expect(files).not.toContain('storage/mongo/mongo-database.test.ts');
    // Starts servers of its own: needs no shared one.
    expect(files).not.toContain('test/mongo-target.test.ts');
    expect(files.some((file) => file.startsWith('dialogs/'))).toBe(false);
  });

  it('starts the server only for the mongo project', () => {
    const projects = (config.test?.projects ?? []) as {
      test: { name: string; include?: string[]; exclude?: string[]; globalSetup?: string[] };
    }[];
    const unit = projects.find((project) => project.test.name === 'unit')?.test;
    const mongo = projects.find((project) => project.test.name === 'mongo')?.test;
    expect(unit?.globalSetup).toBeUndefined();
    expect(unit?.exclude).toEqual(expect.arrayContaining(files));
    expect(mongo?.include).toEqual(files);
    expect(mongo?.globalSetup).toEqual(['./test/global-setup.ts']);
  });
});
