import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../bot/platform/config.js';
import { CONFIG_DOC, END_MARKER, settings, START_MARKER, withConfigTable } from './config-doc.js';

describe('the configuration table of docs/configuration.md', () => {
  it('is what npm run docs:config writes from bot/platform/config.ts (run it if this fails)', async () => {
    const onDisk = readFileSync(CONFIG_DOC, 'utf8');
    expect(onDisk).toContain(START_MARKER);
    expect(onDisk).toContain(END_MARKER);
    expect(onDisk).toBe(await withConfigTable(onDisk));
  });

  it('names every setting the server reads, each with a description', () => {
    const documented = settings();
    expect(documented.map((s) => s.name)).toEqual(Object.keys(configSchema.shape));
    expect(documented.map((s) => s.name)).toEqual(expect.arrayContaining(['PORT', 'SECRET_KEY']));
    for (const setting of documented) expect(setting.description, setting.name).not.toBe('');
  });

  it('gives the defaults the server really uses', () => {
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    const plain = (value: unknown) => (value === '' ? '_(none)_' : `\`${String(value)}\``);
    for (const name of ['PORT', 'HOST', 'LOG_LEVEL', 'MAX_MESSAGE_CHARS', 'RATE_LIMIT_API']) {
      const setting = settings().find((s) => s.name === name);
      expect(setting?.default, name).toBe(plain(defaults[name]));
    }
    const store = settings().find((s) => s.name === 'STORE');
    expect(store?.default).toContain(`\`${String(defaults.STORE)}\``); // embedded, without a URI
  });

  it('refuses a document without its markers rather than guess where the table goes', async () => {
    await expect(withConfigTable('# Configuration\n')).rejects.toThrow(/markers/);
  });
});
