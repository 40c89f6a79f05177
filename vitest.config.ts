import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));
const exclude = ['node_modules/**', 'dist/**', 'data/**', '.cache/**'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'data', '.cache', '.git', 'coverage']);
const MONGO_HELPER = join(root, 'test', 'mongo-database.ts');

/**
 * The test files that talk to the run's MongoDB-wire server: they read its URI with
 * `inject('mongoUri')`, directly or through test/mongo-database.ts. Found by reading the files
 * rather than listed by hand, so a new MongoDB test cannot land in the project that has no server.
 */
export function mongoTestFiles(dir = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) found.push(...mongoTestFiles(path));
    } else if (entry.name.endsWith('.test.ts') && readsMongoUri(path)) {
      found.push(relative(root, path).split('\\').join('/'));
    }
  }
  return found.sort();
}

function readsMongoUri(file: string): boolean {
  const source = readFileSync(file, 'utf8');
  if (/inject\(\s*['"]mongoUri['"]\s*\)/.test(source)) return true;
  // storage/mongo/ has a mongo-database.ts of its own (production code): resolve the path.
  for (const [, specifier] of source.matchAll(
    /from\s+['"](\.{1,2}\/[^'"]*mongo-database\.js)['"]/g,
  )) {
    if (resolve(dirname(file), specifier ?? '').replace(/\.js$/, '.ts') === MONGO_HELPER)
      return true;
  }
  return false;
}

const mongoFiles = mongoTestFiles();
const shared = { exclude, testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // Two projects so that a run of unit tests alone (`npx vitest run dialogs/`) starts no
    // database server: vitest runs a project's globalSetup only when one of its files is
    // selected. The full run still starts exactly one server, shared by every MongoDB file.
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: [...exclude, ...mongoFiles],
        },
      },
      {
        test: {
          ...shared,
          name: 'mongo',
          include: mongoFiles,
          // One MongoDB-wire server for the whole run (test/mongo-target.ts says which and why).
          globalSetup: ['./test/global-setup.ts'],
        },
      },
    ],
  },
});
