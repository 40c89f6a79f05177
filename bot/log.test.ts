import { describe, expect, it } from 'vitest';
import { createLogger, errorFields } from './log.js';

describe('the logger', () => {
  const capture = (level: Parameters<typeof createLogger>[0]) => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger(level, (line) =>
      lines.push(JSON.parse(line) as Record<string, unknown>),
    );
    return { log, lines };
  };

  it('writes one JSON line per event, and a field cannot replace the event, time or level', () => {
    const { log, lines } = capture('info');
    log.info('turn', { event: 'user.said', level: 'debug', time: 'yesterday', conversation: 'c1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'turn', level: 'info', conversation: 'c1' });
    expect(Date.parse(String(lines[0]?.time))).not.toBeNaN();
  });

  it('drops what is below its level', () => {
    const { log, lines } = capture('warn');
    log.info('quiet');
    log.error('loud');
    expect(lines.map((l) => l.event)).toEqual(['loud']);
  });

  it('keeps an error to its class and code, never its message', () => {
    const error = Object.assign(new Error('jane@example.com is not valid'), { code: 'E_MAIL' });
    expect(errorFields(error)).toEqual({ error: 'Error', code: 'E_MAIL' });
  });
});
