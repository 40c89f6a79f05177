import { fileURLToPath } from 'node:url';
import type { Catalogue } from '../consent/catalogue.js';
import { loadCatalogue } from '../bot/platform/catalogue-file.js';

/**
 * The data map the bot ships with, loaded once per test file. Found from this file, not the working
 * directory, so a test gives the same catalogue wherever vitest was started.
 */
export const catalogue: Catalogue = loadCatalogue(
  fileURLToPath(new URL('../catalogue/default-catalogue.json', import.meta.url)),
);
