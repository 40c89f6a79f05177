import { stringify, type Options } from 'csv-stringify/sync';
import type { Response } from 'restify';
import type { Catalogue } from '../../consent/catalogue.js';
import { purposeOf } from '../../consent/catalogue.js';
import type { ConsentEvent } from '../../consent/ledger.js';
import {
  hasKantaraReceipt,
  kantaraReceipt,
  validateKantaraReceipt,
  type ControllerDetails,
} from '../../consent/receipts.js';
import { errorFields, type Logger } from '../platform/log.js';
import { fail } from '../http/http-common.js';

/**
 * Exports of the ledger, streamed: a few million events go out in constant memory,
 * read from the store in batches while the client takes them. Lines are gathered into chunks of
 * about CHUNK_CHARS so the socket is not fed one tiny write per event.
 */
const CHUNK_CHARS = 64 * 1024;

export const CSV_COLUMNS = [
  'id',
  'recordedAt',
  'channelId',
  'subject',
  'purposeId',
  'purposeVersion',
  'decision',
  'source',
  'explicit',
  'catalogueVersion',
  'locale',
  'conversationId',
  'noticeHash',
  'seq',
  'prevHash',
  'hash',
] as const;

/**
 * A text a spreadsheet may run as a formula (OWASP CSV injection): = + - @ as the first character
 * that is not white space, since spreadsheets skip leading spaces, tabs and line breaks before
 * reading a formula; and any text starting with a tab or carriage return, which OWASP lists too.
 */
const FORMULA = /^(?:\s*[=+\-@]|[\t\r])/;

/**
 * A text that could be a formula, prefixed with ' so a spreadsheet shows it as text. Done in a cast
 * rather than by csv-stringify's escape_formulas, which looks at the first character only (so
 * " =1+2" would pass) and leaves negative numbers alone.
 */
const neutralised = (text: string): string => (FORMULA.test(text) ? `'${text}` : text);

/**
 * RFC 4180 by csv-stringify: CRLF line ends, fields quoted when they hold a comma, a quote or a line
 * break. Every text and number is neutralised first (ids and conversation ids come from channels);
 * booleans are written as true and false, not csv-stringify's default of 1 and an empty field.
 */
const CSV_OPTIONS: Options = {
  record_delimiter: '\r\n',
  // csv-stringify quotes a lone CR or LF only when told to once record_delimiter is set; a reader
  // would otherwise end the row there.
  quote_record_delimiter: true,
  cast: {
    string: neutralised,
    number: (value) => neutralised(String(value)),
    boolean: (value) => String(value),
  },
};

type CsvValue = string | number | boolean | null | undefined;

/** One RFC 4180 field, neutralised as above. */
export function csvField(value: CsvValue): string {
  return stringify([[value]], { ...CSV_OPTIONS, eof: false });
}

/**
 * One row with its CRLF. The sync API per row, not a stringify stream: a stream destroyed by a
 * store failure drops the rows it still buffers, and the rows read before a failure must go out.
 */
export const csvRow = (fields: readonly CsvValue[]): string => stringify([fields], CSV_OPTIONS);

export function csvRowOf(event: ConsentEvent): string {
  return csvRow([
    event.id,
    event.recordedAt,
    event.channelId,
    // The ledger's pseudonym: the raw id is never in the ledger, so never in its exports.
    event.subject.userId,
    event.purposeId,
    event.purposeVersion,
    event.decision,
    event.source,
    event.explicit,
    event.catalogueVersion,
    event.locale,
    event.conversationId,
    event.noticeHash,
    event.seq,
    event.prevHash,
    event.hash,
  ]);
}

/** Thrown when a receipt would lack fields Kantara v1.1 makes mandatory (a configuration gap). */
export class IncompleteReceiptError extends Error {
  readonly code = 'RECEIPT_INCOMPLETE';
}

export interface ReceiptSettings {
  readonly catalogue: Catalogue;
  readonly controller?: ControllerDetails;
  readonly jurisdiction?: string;
}

/**
 * One Kantara v1.1 receipt per consent given (given or confirmed) on a purpose the data map still
 * has; other events have no receipt. The person is named by the ledger's pseudonym.
 */
export async function* receiptLines(
  events: AsyncIterable<ConsentEvent>,
  settings: ReceiptSettings,
): AsyncGenerator<string> {
  for await (const event of events) {
    if (!hasKantaraReceipt(event) || !purposeOf(settings.catalogue, event.purposeId)) continue;
    const receipt = kantaraReceipt({
      event,
      catalogue: settings.catalogue,
      principalId: event.subject.userId,
      ...(settings.controller ? { controller: settings.controller } : {}),
      ...(settings.jurisdiction ? { jurisdiction: settings.jurisdiction } : {}),
    });
    if (validateKantaraReceipt(receipt).length > 0) {
      throw new IncompleteReceiptError('receipts would lack mandatory Kantara v1.1 fields');
    }
    yield `${JSON.stringify(receipt)}\n`;
  }
}

export async function* jsonLines(events: AsyncIterable<ConsentEvent>): AsyncGenerator<string> {
  for await (const event of events) yield `${JSON.stringify(event)}\n`;
}

export async function* csvLines(events: AsyncIterable<ConsentEvent>): AsyncGenerator<string> {
  yield csvRow(CSV_COLUMNS);
  for await (const event of events) yield csvRowOf(event);
}

export interface StreamSpec {
  readonly contentType: string;
  readonly filename: string;
  readonly lines: AsyncIterable<string>;
  /** The last line of a stream cut short by a failure, saying it is incomplete. */
  readonly failureLine: (code: string) => string;
  /** For the logs: which export, and the caller's role. */
  readonly format: string;
  readonly role: string;
}

/** Resolves once the socket takes more, or the client has gone. */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/**
 * Streams lines with res.write, bypassing restify's formatters (which would buffer the whole
 * body). Headers go out with the first chunk, so a failure before it still gets a proper 503 (or
 * 500 for a receipt configuration gap). After that the status is sent and cannot change: the
 * stream ends with `failureLine`, which says the export is incomplete, and the failure is logged.
 * When the client disconnects, reading stops: leaving the loop closes the store's cursor.
 */
export async function streamLines(res: Response, spec: StreamSpec, log: Logger): Promise<void> {
  // A client that disconnects closes the response before it finished.
  const gone = (): boolean => res.destroyed && !res.writableFinished;
  let buffer = '';
  let lines = 0;
  const flush = async (): Promise<void> => {
    if (!res.headersSent) {
      res.writeHead(200, {
        'Content-Type': spec.contentType,
        'Content-Disposition': `attachment; filename="${spec.filename}"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
    }
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!res.write(chunk)) await writable(res);
  };
  try {
    for await (const line of spec.lines) {
      if (gone()) break;
      buffer += line;
      lines += 1;
      if (buffer.length >= CHUNK_CHARS) await flush();
    }
    if (gone()) {
      log.info('api.export_aborted', { format: spec.format, role: spec.role, lines });
      return;
    }
    await flush();
    res.end();
    log.info('api.export', { format: spec.format, role: spec.role, lines, complete: true });
  } catch (error) {
    const code = error instanceof IncompleteReceiptError ? error.code : 'STORE_UNAVAILABLE';
    log.error('api.export_failed', {
      format: spec.format,
      role: spec.role,
      lines,
      started: res.headersSent,
      ...errorFields(error),
    });
    if (!res.headersSent) {
      if (code === 'STORE_UNAVAILABLE') {
        fail(res, 503, code, 'the consent store is unavailable; try again, it is safe to');
      } else {
        fail(
          res,
          500,
          code,
          'receipts would lack fields Kantara v1.1 requires: configure the controller details',
        );
      }
      return;
    }
    if (gone()) return;
    // The lines read before the failure are whole: keep them, then say the export stops here.
    buffer += spec.failureLine(code);
    await flush();
    res.end();
  }
}
