import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, errorFields, logIdOf, MAX_FIELD_CHARS } from './log.js';

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
    expect(lines[0]).toMatchObject({ event: 'turn', level: 'info' });
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

  it('logs channel ids as a keyed hash that correlates, and never the id', () => {
    const key = Buffer.alloc(32, 7);
    const lines: string[] = [];
    const log = createLogger('info', (line) => lines.push(line), { idKey: key });
    const email = 'jane.doe@example.com';
    log.info('turn.a', { conversation: email, activity: `${email}|0000001`, user: email });
    log.info('turn.b', { conversation: email, conversationId: email, replyTo: email, userId: 7 });
    expect(lines.join('\n')).not.toContain('jane');
    const [a, b] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(a?.conversation).toBe(logIdOf(key, email));
    expect(a?.conversation).toMatch(/^[0-9a-f]{16}$/);
    expect(b?.conversation).toBe(a?.conversation);
    expect(b?.conversationId).toBe(a?.conversation);
    expect(b?.userId).toBe(logIdOf(key, '7'));
    // Another key, another hash: the hash is no stable identifier outside this deployment.
    expect(logIdOf(Buffer.alloc(32, 8), email)).not.toBe(a?.conversation);
  });

  it('caps every text field, so a 100 KB id or value makes a short line', () => {
    const lines: string[] = [];
    const log = createLogger('info', (line) => lines.push(line));
    const huge = 'x'.repeat(100 * 1024);
    log.warn('http.error', { conversation: huge, route: huge, [huge]: 'name', code: huge });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.length).toBeLessThan(2048);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(String(line.route)).toBe(
      `${'x'.repeat(MAX_FIELD_CHARS)}…(${100 * 1024 - MAX_FIELD_CHARS} more)`,
    );
  });

  it('redacts a field named for personal data or a secret, should a caller ever pass one', () => {
    const lines: string[] = [];
    const log = createLogger('info', (line) => lines.push(line));
    const leaks = {
      text: 'stop, this is Jane',
      message: 'Jane here',
      email: 'jane@example.com',
      to: 'jane@example.com',
      name: 'Jane Doe',
      token: 'secret-token-1',
      authorization: 'Bearer secret-token-2',
    };
    log.warn('careless', { ...leaks, route: '/api/messages' });
    expect(lines).toHaveLength(1);
    for (const value of Object.values(leaks)) expect(lines[0]).not.toContain(value);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    // The keys stay, so the line still says that something was there.
    expect(Object.keys(line)).toEqual(expect.arrayContaining(Object.keys(leaks)));
    expect(line).toMatchObject({ event: 'careless', route: '/api/messages' });
  });

  it('writes the level, the event, then the fields in the order given, one line each', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (line) => lines.push(line));
    log.debug('a', { one: 1, two: true });
    log.error('b');
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
    const [a, b] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const { time: _t, ...rest } = a ?? {};
    expect(JSON.stringify(rest)).toBe(
      JSON.stringify({ level: 'debug', event: 'a', one: 1, two: true }),
    );
    expect(Object.keys(b ?? {}).sort()).toEqual(['event', 'level', 'time']);
  });

  it('writes nothing at all when silent', () => {
    const lines: string[] = [];
    const log = createLogger('silent', (line) => lines.push(line));
    log.error('boom', { code: 'E' });
    expect(lines).toEqual([]);
  });
  it('writes to standard output when given no writer, and nothing to standard error', () => {
    const module = pathToFileURL(fileURLToPath(new URL('./log.ts', import.meta.url))).href;
    const script = `import { createLogger } from '${module}';
      const log = createLogger('info');
      log.debug('hidden');
      log.info('boot', { port: 3978 });
      process.exit(0);`;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    // Written synchronously: the line is there although the process exits at once.
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 'info',
      event: 'boot',
      port: 3978,
    });
  });
});
