/**
 * Structured logs for operators. Personal data never goes in: callers pass correlation ids
 * (conversation, activity) and codes, never message text, names or addresses.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const at =
    (lineLevel: Exclude<LogLevel, 'silent'>) =>
    (event: string, fields: LogFields = {}): void => {
      if (RANK[lineLevel] < RANK[level]) return;
      // A field cannot pass itself off as the line's time, level or event.
      const { time: _time, level: _level, event: _event, ...rest } = fields;
      write(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, event, ...rest }));
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
