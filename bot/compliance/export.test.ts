import { afterEach, describe, expect, it } from 'vitest';
import {
  StoreUnavailableError,
  type ConsentEvent,
  type ConsentLedger,
  type LedgerSearch,
} from '../../consent/ledger.js';
import { openEmbeddedStores, openMemoryStores, type Stores } from '../../storage/stores.js';
import {
  get,
  parseCsv,
  seedManyEvents,
  serveComplianceRoutes,
  type ComplianceStores,
  type RoutesUnderTest,
} from '../../test/compliance-fixture.js';
import { temporaryFolder } from '../../test/harness.js';
import { COMPLIANCE } from '../../test/http-harness.js';
import { CSV_COLUMNS, csvField, csvRow } from './export.js';

type Ledger = ConsentLedger & LedgerSearch;

/** What a scan did: how many events it handed out, and whether its reader closed it. */
interface ScanTrace {
  yielded: number;
  closed: boolean;
}

/**
 * The real ledger, with its scans traced, and optionally failing like a store that goes down
 * after `failAfter` events (a database restart in the middle of an export).
 */
function traced(ledger: Ledger, trace: ScanTrace, failAfter?: number): Ledger {
  return {
    append: (decisions, at, options) => ledger.append(decisions, at, options),
    head: (subject) => ledger.head(subject),
    history: (subject) => ledger.history(subject),
    latest: (subject) => ledger.latest(subject),
    search: (query, page) => ledger.search(query, page),
    countDecisions: (query, period) => ledger.countDecisions(query, period),
    async *scan(query, order) {
      try {
        for await (const event of ledger.scan(query, order)) {
          if (trace.yielded === failAfter) throw new StoreUnavailableError('connection lost');
          trace.yielded += 1;
          yield event;
        }
      } finally {
        trace.closed = true;
      }
    },
  };
}

const BACKENDS: readonly [string, () => { stores: Stores; remove(): void }][] = [
  ['memory', () => ({ stores: openMemoryStores(), remove: () => undefined })],
  [
    'sqlite',
    () => {
      const folder = temporaryFolder();
      return { stores: openEmbeddedStores(folder.path), remove: folder.remove };
    },
  ],
];

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['=1+2', "'=1+2"],
    ['+33 4 00', "'+33 4 00"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=cmd', "'\t=cmd"],
    ['=A1,B1', `"'=A1,B1"`],
    // Spreadsheets skip white space before a formula: these run too unless neutralised.
    [' =1+2', "' =1+2"],
    ['  @SUM(A1)', "'  @SUM(A1)"],
    ['\t -2', "'\t -2"],
    ['\r+1', `"'\r+1"`],
    ["\n=cmd|' /C calc'!A0", `"'\n=cmd|' /C calc'!A0"`],
    ['\r\n =HYPERLINK("x")', `"'\r\n =HYPERLINK(""x"")"`],
    ['\u00a0=1', "'\u00a0=1"],
    ['\tplain', "'\tplain"],
    ['a=b', 'a=b'],
    [' plain', ' plain'],
    [null, ''],
    [3, '3'],
    [true, 'true'],
  ] as const)('%j -> %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('joins a row with commas and ends it with CRLF (RFC 4180), false and empty kept apart', () => {
    expect(csvRow(['a', 1, true, false, null, '', '=x', 'q"'])).toBe(
      `a,1,true,false,,,'=x,"q"""\r\n`,
    );
    // A negative number would be read as a formula too: the protection does not look at types.
    expect(csvRow([-5, '-5'])).toBe("'-5,'-5\r\n");
  });
});

describe.each(BACKENDS)('streamed exports on %s', (name, open) => {
  let opened: { stores: Stores; remove(): void } | undefined;
  let api: RoutesUnderTest | undefined;
  afterEach(async () => {
    await api?.close();
    await opened?.stores.close();
    opened?.remove();
  });

  async function start(
    people: number,
    perPerson: number,
    ledger?: (real: Ledger) => Ledger,
  ): Promise<{ stores: ComplianceStores; url: string; total: number; api: RoutesUnderTest }> {
    opened = open();
    const { stores } = opened;
    const total = await seedManyEvents(stores.ledger, people, perPerson);
    api = await serveComplianceRoutes(stores, ledger ? { ledger: ledger(stores.ledger) } : {});
    return { stores, url: api.url, total, api };
  }

  const scanAll = async (ledger: Ledger): Promise<ConsentEvent[]> => {
    const all: ConsentEvent[] = [];
    for await (const event of ledger.scan({}, 'recorded')) all.push(event);
    return all;
  };

  it('streams 3,000 events as JSON lines the client reads whole, and the same as CSV', async () => {
    const { stores, url, total } = await start(300, 10);
    expect(total).toBe(3000);
    const expected = await scanAll(stores.ledger);

    const started = performance.now();
    const jsonl = await get(url, '/api/compliance/export/events.jsonl');
    const jsonlMs = performance.now() - started;
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('transfer-encoding')).toBe('chunked');
    const lines = jsonl.text.split('\n');
    expect(lines.pop()).toBe('');
    const events = lines.map((line) => JSON.parse(line) as ConsentEvent);
    expect(events).toHaveLength(3000);
    expect(events).toEqual(expected);
    expect(events.every((e, i) => i === 0 || events[i - 1]!.recordedAt <= e.recordedAt)).toBe(true);

    const csvStarted = performance.now();
    const csv = await get(url, '/api/compliance/export/events.csv');
    const csvMs = performance.now() - csvStarted;
    const [header, ...rows] = parseCsv(csv.text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows.map((r) => r[0])).toEqual(expected.map((e) => e.id));
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    console.info(
      `export of 3000 events on ${name}: jsonl ${jsonlMs.toFixed(0)} ms (${jsonl.text.length} chars), csv ${csvMs.toFixed(0)} ms`,
    );
  });

  it('ends a stream cut by a store failure with a line that says it is incomplete', async () => {
    const trace: ScanTrace = { yielded: 0, closed: false };
    const { url, api: routes } = await start(300, 10, (real) => traced(real, trace, 1500));
    const jsonl = await get(url, '/api/compliance/export/events.jsonl');
    expect(jsonl.status).toBe(200);
    const lines = jsonl.text.trimEnd().split('\n');
    expect(JSON.parse(lines.pop()!)).toEqual({ error: 'STORE_UNAVAILABLE', complete: false });
    expect(lines).toHaveLength(1500);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('hash');
    expect(routes.log.lines).toContainEqual(
      JSON.stringify({
        level: 'error',
        event: 'api.export_failed',
        format: 'events.jsonl',
        role: 'compliance',
        lines: 1500,
        started: true,
        error: 'Error',
        code: 'STORE_UNAVAILABLE',
      }),
    );

    trace.yielded = 0;
    const csv = await get(url, '/api/compliance/export/events.csv');
    const rows = parseCsv(csv.text);
    expect(rows.at(-1)).toEqual([
      '#export incomplete: STORE_UNAVAILABLE',
      ...CSV_COLUMNS.slice(1).map(() => ''),
    ]);
    expect(rows).toHaveLength(1 + 1500 + 1);
  });

  it('answers 503 when the store fails before the first byte', async () => {
    const trace: ScanTrace = { yielded: 0, closed: false };
    const { url } = await start(3, 2, (real) => traced(real, trace, 0));
    const reply = await get(url, '/api/compliance/export/events.jsonl');
    expect(reply.status).toBe(503);
    expect(reply.body).toEqual({
      code: 'STORE_UNAVAILABLE',
      message: expect.any(String) as unknown,
    });
    expect(reply.headers.get('content-disposition')).toBeNull();
  });
});

// The route's own behaviour, on the memory store (seeded fastest): 12 MB for it to hold back.
describe('a streamed export to a slow client', () => {
  it('waits on the socket, and stops reading the store when the client disconnects', async () => {
    const stores = openMemoryStores();
    const total = await seedManyEvents(stores.ledger, 2000, 10);
    const trace: ScanTrace = { yielded: 0, closed: false };
    const routes = await serveComplianceRoutes(stores, { ledger: traced(stores.ledger, trace) });
    try {
      const controller = new AbortController();
      const response = await fetch(`${routes.url}/api/compliance/export/events.jsonl`, {
        headers: { authorization: `Bearer ${COMPLIANCE}` },
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      // The client stops reading. About 4 MB fit in the sockets' and the client's buffers; the
      // rest must wait in the store, not in the server's memory.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(trace.yielded).toBeLessThan(total / 2);
      controller.abort();
      await expect(reader.read()).rejects.toThrow();
      await expect
        .poll(() => routes.log.lines.some((line) => line.includes('api.export_aborted')))
        .toBe(true);
      expect(trace.closed).toBe(true);
      expect(trace.yielded).toBeLessThan(total);
    } finally {
      await routes.close();
    }
  });
});
