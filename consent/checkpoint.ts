import { createHash } from 'node:crypto';
import { canonicalJson } from './chain.js';

/**
 * Anchoring the ledger (what chains cannot show). Nothing in a hash chain points forward, so events
 * cut from the end of a person's chain, or a whole person's chain deleted, leave no trace in the
 * chains. A checkpoint records every chain's head (last seq and its hash) at one moment; kept
 * where the database administrator cannot write (a file the compliance officer keeps, WORM
 * storage, its digest pasted into a ticket), it later shows what the store lost since.
 *
 * Erasure (GDPR art. 17, bot/subjects/subject-data.ts eraseSubject) keeps a person's pseudonymous ledger
 * events, so a lawfully erased person is still in the ledger: a subject missing against a
 * checkpoint is never an erasure.
 *
 * The file is JSON lines, so that a store of millions of people is written and read in constant
 * memory: a header, one head per line in subject key order (the order of a chain-order scan), and
 * a trailer with the counts and the digest. Every line is canonical JSON (consent/chain.ts).
 *
 *   {"createdAt":"2026-11-29T10:00:00.000Z","format":"consent-ledger-checkpoint/1"}
 *   ["msteams|p:3f…",5,"9a…"]
 *   {"digest":"c0…","events":105,"problems":0,"subjects":21}
 *
 * The digest is SHA-256 over the header, head and trailer lines (the trailer without its digest),
 * each followed by "\n". It shows a file edited by hand or cut short; it is not a signature
 * (whoever can edit the file can recompute it), which is why the file, or at least its digest,
 * must be kept out of the administrator's reach.
 */
export const CHECKPOINT_FORMAT = 'consent-ledger-checkpoint/1';

/** One chain's head: its pseudonymous subject key, last sequence number and that event's hash. */
export type CheckpointHead = readonly [subjectKey: string, lastSeq: number, lastHash: string];

export interface CheckpointHeader {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly createdAt: string;
  /**
   * Every event appended to the store after this checkpoint is sealed (consent/chain.ts): the
   * server that writes it seals. Then an event after an anchored head, or in a chain new since,
   * without a seal was written by someone without the key: the downgrade that stripping every
   * seal of a chain would otherwise pass off as a chain written before sealing existed. Written
   * as `true` or left out (checkpoints of before).
   */
  readonly sealed?: true;
}

export interface CheckpointTrailer {
  readonly subjects: number;
  readonly events: number;
  /** Chain problems the walk that wrote the checkpoint found: 0 when the store was intact. */
  readonly problems: number;
  readonly digest: string;
}

/** A checkpoint that cannot be trusted as it is: malformed, out of order, cut, or edited. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/** Orders subject keys the way the store's chain-order scan returns them. */
export type KeyOrder = (a: string, b: string) => number;

const HASH = /^[0-9a-f]{64}$/;

/** Builds a checkpoint line by line, in constant memory; the caller writes each line it returns. */
export class CheckpointWriter {
  readonly #hash = createHash('sha256');
  #subjects = 0;
  #events = 0;

  /** The first line. `sealed`: every event appended from now on is sealed (see the header). */
  header(createdAt: Date, options: { readonly sealed?: boolean } = {}): string {
    const header: CheckpointHeader = {
      format: CHECKPOINT_FORMAT,
      createdAt: createdAt.toISOString(),
      ...(options.sealed ? { sealed: true as const } : {}),
    };
    return this.#line(header);
  }

  /** One chain's head, `events` being how many events the walk read in that chain. */
  head(head: CheckpointHead, events: number): string {
    this.#subjects += 1;
    this.#events += events;
    return this.#line(head);
  }

  /** The last line, sealing every line before it. */
  trailer(problems: number): CheckpointTrailer & { readonly line: string } {
    const counts = { subjects: this.#subjects, events: this.#events, problems };
    this.#line(counts);
    const trailer = { ...counts, digest: this.#hash.digest('hex') };
    return { ...trailer, line: `${canonicalJson(trailer)}\n` };
  }

  #line(value: unknown): string {
    const line = `${canonicalJson(value)}\n`;
    this.#hash.update(line, 'utf8');
    return line;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * Reads a checkpoint's lines, yielding its heads in order and checking everything on the way:
 * the header, each head's shape, strict key order, a single trailer at the end, the counts and
 * the digest. A fault throws CheckpointError, at the latest once the trailer is read, so a
 * caller must read to the end before trusting what the heads told it.
 */
export class CheckpointReader {
  #header: CheckpointHeader | undefined;
  #trailer: CheckpointTrailer | undefined;

  constructor(
    private readonly lines: AsyncIterable<string> | Iterable<string>,
    private readonly order: KeyOrder,
  ) {}

  /** Known once the first head (or the end) was read. */
  get header(): CheckpointHeader | undefined {
    return this.#header;
  }

  /** Known, and checked, once every head was read. */
  get trailer(): CheckpointTrailer | undefined {
    return this.#trailer;
  }

  async *heads(): AsyncGenerator<CheckpointHead, void, undefined> {
    const hash = createHash('sha256');
    let lineNumber = 0;
    let previous: string | undefined;
    let subjects = 0;
    const fault = (what: string): CheckpointError =>
      new CheckpointError(`checkpoint line ${lineNumber}: ${what}`);
    for await (const text of this.lines) {
      lineNumber += 1;
      if (this.#trailer) throw fault('text after the trailer');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw fault('not JSON');
      }
      if (lineNumber === 1) {
        if (
          !isRecord(value) ||
          value.format !== CHECKPOINT_FORMAT ||
          typeof value.createdAt !== 'string' ||
          Number.isNaN(Date.parse(value.createdAt)) ||
          (value.sealed !== undefined && value.sealed !== true)
        ) {
          throw fault(`not a ${CHECKPOINT_FORMAT} header`);
        }
        this.#header = {
          format: CHECKPOINT_FORMAT,
          createdAt: value.createdAt,
          ...(value.sealed === true ? { sealed: true as const } : {}),
        };
        hash.update(`${canonicalJson(this.#header)}\n`, 'utf8');
      } else if (Array.isArray(value)) {
        const [key, seq, lastHash] = value as unknown[];
        if (
          value.length !== 3 ||
          typeof key !== 'string' ||
          !Number.isSafeInteger(seq) ||
          (seq as number) < 1 ||
          typeof lastHash !== 'string' ||
          !HASH.test(lastHash)
        ) {
          throw fault('not a [subjectKey, lastSeq, lastHash] head');
        }
        if (previous !== undefined && this.order(previous, key) >= 0) {
          throw fault('heads out of subject key order');
        }
        previous = key;
        subjects += 1;
        const head: CheckpointHead = [key, seq as number, lastHash];
        hash.update(`${canonicalJson(head)}\n`, 'utf8');
        yield head;
      } else if (
        isRecord(value) &&
        isCount(value.subjects) &&
        isCount(value.events) &&
        isCount(value.problems) &&
        typeof value.digest === 'string'
      ) {
        const { subjects: count, events, problems, digest } = value;
        hash.update(`${canonicalJson({ subjects: count, events, problems })}\n`, 'utf8');
        if (hash.digest('hex') !== digest) {
          throw new CheckpointError(
            'checkpoint digest does not match its content: the file was changed after it was written',
          );
        }
        if (count !== subjects)
          throw fault(`trailer counts ${count} subjects, the file ${subjects}`);
        this.#trailer = { subjects: count, events, problems, digest };
      } else {
        throw fault('neither a head nor the trailer');
      }
    }
    if (lineNumber === 0) throw new CheckpointError('checkpoint is empty');
    if (!this.#trailer)
      throw new CheckpointError('checkpoint ends without its trailer: it was cut');
  }
}

export type AnchorProblemKind =
  /** The chain no longer reaches the anchored sequence number: its end was cut. */
  | 'truncated'
  /** The event at the anchored sequence number has another hash: the chain was rebuilt. */
  | 'rewritten'
  /** The subject was anchored and has no events now: the whole chain was deleted. */
  | 'subject-missing'
  /**
   * An event appended after a `sealed` checkpoint, with no seal and no sealed event before it in
   * its chain: written, or rewritten with its seals stripped, by someone without the key.
   */
  | 'unsealed-since-checkpoint';

/**
 * One subject's chain as the store holds it now, against its anchored head. Growing is fine; the
 * chain's own problems (gaps, broken links) are verifyChain's to report.
 */
export function anchorProblem(
  anchored: CheckpointHead,
  chain: readonly { readonly seq: number; readonly hash: string }[],
): AnchorProblemKind | undefined {
  if (chain.length === 0) return 'subject-missing';
  const [, seq, hash] = anchored;
  const event = chain.find((e) => e.seq === seq);
  if (!event) return 'truncated';
  return event.hash === hash ? undefined : 'rewritten';
}

/**
 * Where a checkpoint and the store disagree. `seq` is the anchored lastSeq; `eventId` the id of
 * the store's event at that seq for 'rewritten', '' when the store has no such event.
 */
export interface AnchorFinding {
  readonly subject: string;
  readonly kind: AnchorProblemKind;
  readonly seq: number;
  readonly eventId: string;
}

/**
 * A merge join of anchored heads with the store's chains, both in subject key order: it holds one
 * anchored head at a time, however many subjects either side has. Call `visit` for each chain of
 * the walk, then `finish` once.
 */
export class AnchorJoin {
  readonly #heads: AsyncIterator<CheckpointHead>;
  #next: CheckpointHead | undefined;
  #lastKey: string | undefined;

  /**
   * `sealed`: asked once the checkpoint's header was read (after its first head): whether it is a
   * `sealed` checkpoint, whose later events must all carry seals.
   */
  constructor(
    heads: AsyncIterable<CheckpointHead>,
    private readonly order: KeyOrder,
    private readonly sealed: () => boolean = () => false,
  ) {
    this.#heads = heads[Symbol.asyncIterator]();
  }

  /** Findings for anchored subjects before `key` (gone now) and for `key`'s own chain. */
  async *visit(
    key: string,
    chain: readonly {
      readonly id: string;
      readonly seq: number;
      readonly hash: string;
      readonly seal?: string;
    }[],
  ): AsyncGenerator<AnchorFinding, void, undefined> {
    if (this.#lastKey !== undefined && this.order(this.#lastKey, key) >= 0) {
      // A walk in another order would report present subjects as missing.
      throw new Error('chains must be visited in strictly increasing subject key order');
    }
    this.#lastKey = key;
    let anchoredSeq = 0;
    for (let head = await this.#peek(); head; head = await this.#peek()) {
      const position = this.order(head[0], key);
      if (position > 0) break;
      this.#next = undefined;
      const kind = anchorProblem(head, position === 0 ? chain : []);
      if (kind) {
        const stored = kind === 'rewritten' ? chain.find((e) => e.seq === head[1]) : undefined;
        yield { subject: head[0], kind, seq: head[1], eventId: stored?.id ?? '' };
      }
      if (position === 0) {
        anchoredSeq = head[1];
        break;
      }
    }
    if (!this.sealed()) return;
    // After a sealed event, a missing seal is verifyChain's `unsealed`: not reported twice.
    let sealedBefore = false;
    for (const event of chain) {
      if (event.seal !== undefined) sealedBefore = true;
      else if (!sealedBefore && event.seq > anchoredSeq) {
        yield {
          subject: key,
          kind: 'unsealed-since-checkpoint',
          seq: event.seq,
          eventId: event.id,
        };
      }
    }
  }

  /** Findings for the anchored subjects after the walk's last: all gone. */
  async *finish(): AsyncGenerator<AnchorFinding, void, undefined> {
    for (let head = await this.#peek(); head; head = await this.#peek()) {
      this.#next = undefined;
      yield { subject: head[0], kind: 'subject-missing', seq: head[1], eventId: '' };
    }
  }

  async #peek(): Promise<CheckpointHead | undefined> {
    if (this.#next === undefined) {
      const result = await this.#heads.next();
      this.#next = result.done ? undefined : result.value;
    }
    return this.#next;
  }
}
