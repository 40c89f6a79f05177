import { createHmac, randomBytes } from 'node:crypto';
import { pino, type DestinationStream } from 'pino';

/**
 * Structured logs for operators, one JSON line per event, written by pino. Personal data never
 * goes in: callers pass correlation ids (conversation, activity) and codes, never message text,
 * names or addresses; ids are hashed and pino redacts fields named for personal data besides.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/**
 * Fields that carry a channel's ids. Channels build these from whatever they like: an e-mail
 * address as a conversation id, Direct Line activity ids that start with the conversation id. So
 * they are logged as a short keyed hash (HMAC-SHA256, 64 bits): lines about one conversation still
 * correlate, and without the key the hash does not reveal the id nor confirm a guess.
 */
export const ID_FIELDS: ReadonlySet<string> = new Set([
  'conversation',
  'conversationId',
  'activity',
  'activityId',
  'replyTo',
  'user',
  'userId',
]);

/** Longest logged text of a field: a channel can send ids and values of any size. */
export const MAX_FIELD_CHARS = 200;

export interface LoggerOptions {
  /**
   * Key of the ids' hashes (Keys.logKey, derived from the master secret, so hashes stay the same
   * across restarts). Without one, a random key per process: ids never reach a log in clear.
   */
  readonly idKey?: Buffer;
}

/** The first 16 hex characters of HMAC-SHA256(key, id): what the logs show of an id. */
export function logIdOf(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(id, 'utf8').digest('hex').slice(0, 16);
}

const capped = (text: string): string =>
  text.length <= MAX_FIELD_CHARS
    ? text
    : `${text.slice(0, MAX_FIELD_CHARS)}…(${text.length - MAX_FIELD_CHARS} more)`;

/**
 * Field names that would carry personal data or a secret: message text, addresses, names, tokens,
 * credentials. Callers never pass them (ids go in ID_FIELDS, hashed); should one slip in, pino's
 * redaction writes "[redacted]" in its place, so a line still shows that something was there.
 */
export const REDACTED_FIELDS: readonly string[] = [
  'text',
  'message',
  'body',
  'email',
  'address',
  'to',
  'from',
  'cc',
  'bcc',
  'name',
  'displayName',
  'phone',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'Authorization',
  'cookie',
  'password',
  'secret',
];

export function createLogger(
  level: LogLevel,
  write?: (line: string) => void,
  options: LoggerOptions = {},
): Logger {
  const key = options.idKey ?? randomBytes(32);
  const safe = (name: string, value: string | number | boolean | undefined) => {
    if (value === undefined) return undefined;
    if (ID_FIELDS.has(name)) return logIdOf(key, String(value));
    return typeof value === 'string' ? capped(value) : value;
  };
  // pino ends every line with a newline; a caller's writer takes the line without it. Without a
  // writer, lines go to standard output, written synchronously so none is lost when the process
  // exits right after an error.
  const destination: DestinationStream = write
    ? {
        write: (line: string) => {
          write(line.endsWith('\n') ? line.slice(0, -1) : line);
        },
      }
    : pino.destination({ dest: 1, sync: true });
  const logger = pino(
    {
      level,
      // No pid and hostname: a line holds the time, level, event and fields, as it always did.
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_FIELDS], censor: '[redacted]' },
    },
    destination,
  );
  const at =
    (lineLevel: Exclude<LogLevel, 'silent'>) =>
    (event: string, fields: LogFields = {}): void => {
      if (!logger.isLevelEnabled(lineLevel)) return;
      // A field cannot pass itself off as the line's time, level or event. The event comes first
      // among the fields so that a line reads (and greps) as "level, time, event, details".
      const { time: _time, level: _level, event: _event, ...rest } = fields;
      const line: Record<string, string | number | boolean | undefined> = { event: capped(event) };
      for (const [name, value] of Object.entries(rest)) line[capped(name)] = safe(name, value);
      logger[lineLevel](line);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The error's code and class, never its message: messages can quote the input that caused them. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.name, code: typeof code === 'string' ? code : undefined };
  }
  return { error: typeof error };
}
