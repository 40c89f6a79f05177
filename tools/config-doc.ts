/**
 * Writes the table of settings in docs/configuration.md from the schema that reads them
 * (bot/platform/config.ts), so the documentation cannot drift from the code: `npm run docs:config`.
 * tools/config-doc.test.ts fails when the file is not what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'prettier';
import { z } from 'zod';
import { configSchema } from '../bot/platform/config.js';

export const CONFIG_DOC = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
export const START_MARKER = '<!-- config-table:start (npm run docs:config writes this table) -->';
export const END_MARKER = '<!-- config-table:end -->';

/** One setting as the JSON Schema of the input shows it, with our own metadata keys. */
interface Property {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly format?: string;
  readonly description?: string;
  /** Set with `.meta()` where the default is computed, not a constant. */
  readonly defaultText?: string;
  /** Set with `.meta()` where the schema's checks do not read well (patterns, transforms). */
  readonly allowed?: string;
}

export interface Setting {
  readonly name: string;
  readonly default: string;
  readonly description: string;
  readonly allowed: string;
}

const code = (value: unknown) => `\`${String(value)}\``;

function allowedOf(property: Property): string {
  if (property.allowed) return property.allowed;
  if (property.enum) return property.enum.map(code).join(', ');
  if (property.type === 'integer') {
    return `integer, ${String(property.minimum)} to ${String(property.maximum)}`;
  }
  if (property.format === 'uri') return 'a URL';
  if (property.minLength && property.minLength > 1) {
    return `text, ${String(property.minLength)}+ characters`;
  }
  return 'text';
}

/** Every setting of the schema, in its order. */
export function settings(): Setting[] {
  // The input side: what the environment holds, before coercion and transforms.
  const document = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Property>;
  };
  return Object.entries(document.properties).map(([name, property]) => ({
    name,
    default:
      property.defaultText ??
      (property.default === undefined || property.default === ''
        ? '_(none)_'
        : code(property.default)),
    description: property.description ?? '',
    allowed: allowedOf(property),
  }));
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function configTable(): string {
  return [
    '| Variable | Default | Allowed | Meaning |',
    '| --- | --- | --- | --- |',
    ...settings().map(
      (s) =>
        `| ${code(s.name)} | ${cell(s.default)} | ${cell(s.allowed)} | ${cell(s.description)} |`,
    ),
  ].join('\n');
}

/** The document with the table between the markers replaced, formatted as `npm run format` would. */
export async function withConfigTable(document: string): Promise<string> {
  const start = document.indexOf(START_MARKER);
  const end = document.indexOf(END_MARKER);
  if (start < 0 || end < start) {
    throw new Error(`the markers ${START_MARKER} and ${END_MARKER} are missing or out of order`);
  }
  // Prettier would pad every column to the widest cell (lines of 400 characters): the table
  // stays compact, and prettier leaves it alone between its ignore comments.
  const updated =
    document.slice(0, start + START_MARKER.length) +
    '\n<!-- prettier-ignore-start -->\n' +
    configTable() +
    '\n<!-- prettier-ignore-end -->\n' +
    document.slice(end);
  return format(updated, { parser: 'markdown', printWidth: 100 });
}

async function main(): Promise<void> {
  const before = readFileSync(CONFIG_DOC, 'utf8');
  const after = await withConfigTable(before);
  if (after === before) {
    process.stdout.write(`${CONFIG_DOC}: up to date\n`);
  } else {
    writeFileSync(CONFIG_DOC, after);
    process.stdout.write(`${CONFIG_DOC}: table rewritten\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
