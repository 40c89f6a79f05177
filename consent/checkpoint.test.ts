import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AnchorJoin,
  anchorProblem,
  CHECKPOINT_FORMAT,
  CheckpointError,
  CheckpointReader,
  CheckpointWriter,
  type AnchorFinding,
  type CheckpointHead,
} from './checkpoint.js';

const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** The hash a subject's event at `seq` has, or had before it was forged. */
const hash = (key: string, seq: number, forged = false): string =>
  createHash('sha256').update(`${key} ${seq} ${forged}`).digest('hex');
/** A chain of `length` events, those from `forgedFrom` on rebuilt with other hashes. */
const chain = (key: string, length: number, forgedFrom = Infinity) =>
  Array.from({ length }, (_, i) => ({
    id: `${key}-${i + 1}`,
    seq: i + 1,
    hash: hash(key, i + 1, i + 1 >= forgedFrom),
  }));

const [A, B, C, D] = ['msteams|p:a', 'webchat|p:b', 'webchat|p:c', 'webchat|p:d'] as const;
const HEADS: readonly CheckpointHead[] = [
  [A, 3, hash(A, 3)],
  [B, 2, hash(B, 2)],
  [D, 1, hash(D, 1)],
];

function written(heads: readonly CheckpointHead[] = HEADS, problems = 0): string[] {
  const writer = new CheckpointWriter();
  const text = [
    writer.header(new Date('2026-11-29T10:00:00Z')),
    ...heads.map((head) => writer.head(head, head[1])),
    writer.trailer(problems).line,
  ].join('');
  return text.split('\n').slice(0, -1);
}

async function read(lines: readonly string[]): Promise<{
  heads: CheckpointHead[];
  reader: CheckpointReader;
}> {
  const reader = new CheckpointReader(lines, order);
  const heads: CheckpointHead[] = [];
  for await (const head of reader.heads()) heads.push(head);
  return { heads, reader };
}

async function* stream<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

async function collect(findings: AsyncIterable<AnchorFinding>): Promise<AnchorFinding[]> {
  const all: AnchorFinding[] = [];
  for await (const finding of findings) all.push(finding);
  return all;
}

describe('ledger checkpoints', () => {
  it('are JSON lines, sealed by a digest, and read back head by head', async () => {
    const lines = written();
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toEqual({
      format: CHECKPOINT_FORMAT,
      createdAt: '2026-11-29T10:00:00.000Z',
    });
    expect(JSON.parse(lines[1]!)).toEqual(HEADS[0]);
    const { heads, reader } = await read(lines);
    expect(heads).toEqual(HEADS);
    expect(reader.header?.createdAt).toBe('2026-11-29T10:00:00.000Z');
    expect(reader.trailer).toMatchObject({ subjects: 3, events: 6, problems: 0 });
    expect(reader.trailer?.digest).toMatch(/^[0-9a-f]{64}$/);
    // The digest covers the header: the same heads at another time seal differently.
    const later = new CheckpointWriter();
    later.header(new Date('2026-11-30T10:00:00Z'));
    for (const head of HEADS) later.head(head, head[1]);
    expect(later.trailer(0).digest).not.toBe(reader.trailer?.digest);
  });

  it('rejects a checkpoint edited by hand, cut short, reordered or malformed', async () => {
    const lines = written();
    const edited = lines.map((line, i) => (i === 2 ? line.replace(',2,', ',1,') : line));
    await expect(read(edited)).rejects.toThrow(
      new CheckpointError(
        'checkpoint digest does not match its content: the file was changed after it was written',
      ),
    );
    // Deleting a head line is an edit too: the digest no longer matches.
    await expect(read(lines.filter((_, i) => i !== 3))).rejects.toThrow(/digest does not match/);
    await expect(read(lines.slice(0, -1))).rejects.toThrow(/ends without its trailer/);
    await expect(read([...lines, lines[1]!])).rejects.toThrow(/line 6: text after the trailer/);
    await expect(read([lines[0]!, lines[2]!, lines[1]!, lines[4]!])).rejects.toThrow(
      /line 3: heads out of subject key order/,
    );
    await expect(read([lines[0]!, lines[1]!, lines[1]!, lines[4]!])).rejects.toThrow(
      /line 3: heads out of subject key order/,
    );
    await expect(read(['{"format":"something-else/1","createdAt":"2026-11-29"}'])).rejects.toThrow(
      /line 1: not a consent-ledger-checkpoint\/1 header/,
    );
    await expect(read([lines[0]!, '["webchat|p:x",0,"ab"]'])).rejects.toThrow(
      /line 2: not a \[subjectKey, lastSeq, lastHash\] head/,
    );
    await expect(read([lines[0]!, 'not json'])).rejects.toThrow(/line 2: not JSON/);
    await expect(read([])).rejects.toThrow(/empty/);
  });

  it('finds a chain cut at its end, rewritten, or gone; grown chains are fine', () => {
    const head: CheckpointHead = [B, 3, hash(B, 3)];
    expect(anchorProblem(head, chain(B, 3))).toBeUndefined();
    expect(anchorProblem(head, chain(B, 5))).toBeUndefined();
    expect(anchorProblem(head, chain(B, 5, 4))).toBeUndefined();
    expect(anchorProblem(head, chain(B, 2))).toBe('truncated');
    expect(anchorProblem(head, chain(B, 3, 3))).toBe('rewritten');
    expect(anchorProblem(head, chain(B, 5, 1))).toBe('rewritten');
    expect(anchorProblem(head, [])).toBe('subject-missing');
  });

  it('joins anchored heads with the walk, with subjects on one side only', async () => {
    const join = new AnchorJoin(stream(HEADS), order);
    // Before the first anchored subject: new since the checkpoint.
    expect(await collect(join.visit('msteams|p:0', chain('msteams|p:0', 1)))).toEqual([]);
    // A is skipped by the walk: gone. B lost its last event.
    expect(await collect(join.visit(B, chain(B, 1)))).toEqual([
      { subject: A, kind: 'subject-missing', seq: 3, eventId: '' },
      { subject: B, kind: 'truncated', seq: 2, eventId: '' },
    ]);
    expect(await collect(join.visit(C, chain(C, 7)))).toEqual([]);
    expect(await collect(join.visit(D, chain(D, 4)))).toEqual([]);
    expect(await collect(join.finish())).toEqual([]);

    const rewritten = new AnchorJoin(stream(HEADS), order);
    expect(await collect(rewritten.visit(A, chain(A, 4, 2)))).toEqual([
      { subject: A, kind: 'rewritten', seq: 3, eventId: `${A}-3` },
    ]);
    // Everything anchored after the walk's last subject is gone.
    expect(await collect(rewritten.finish())).toEqual([
      { subject: B, kind: 'subject-missing', seq: 2, eventId: '' },
      { subject: D, kind: 'subject-missing', seq: 1, eventId: '' },
    ]);

    const empty = new AnchorJoin(stream([]), order);
    expect(await collect(empty.visit(B, chain(B, 1)))).toEqual([]);
    await expect(collect(empty.visit(A, chain(A, 1)))).rejects.toThrow(
      /increasing subject key order/,
    );
  });
});

describe('a sealed checkpoint', () => {
  const sealedFile = (): string[] => {
    const writer = new CheckpointWriter();
    return [
      writer.header(new Date('2026-11-29T10:00:00Z'), { sealed: true }),
      ...HEADS.map((head) => writer.head(head, head[1])),
      writer.trailer(0).line,
    ]
      .join('')
      .split('\n')
      .slice(0, -1);
  };

  it('says so in its header, under the digest', async () => {
    const lines = sealedFile();
    expect(JSON.parse(lines[0]!)).toEqual({
      format: CHECKPOINT_FORMAT,
      createdAt: '2026-11-29T10:00:00.000Z',
      sealed: true,
    });
    const reader = new CheckpointReader(lines, order);
    const heads: CheckpointHead[] = [];
    for await (const head of reader.heads()) heads.push(head);
    expect(heads).toEqual(HEADS);
    expect(reader.header?.sealed).toBe(true);
    // Dropping the flag to hide unsealed events changes the digest.
    const unflagged = [lines[0]!.replace(',"sealed":true', ''), ...lines.slice(1)];
    await expect(async () => {
      for await (const head of new CheckpointReader(unflagged, order).heads()) heads.push(head);
    }).rejects.toThrow(CheckpointError);
  });

  it('requires seals after each anchored head and in new chains, once its header is read', async () => {
    const reader = new CheckpointReader(sealedFile(), order);
    const join = new AnchorJoin(reader.heads(), order, () => reader.header?.sealed === true);
    const sealed = (events: ReturnType<typeof chain>) => events.map((e) => ({ ...e, seal: 's' }));
    const findings: AnchorFinding[] = [];
    const visit = async (key: string, events: Parameters<AnchorJoin['visit']>[1]) => {
      for await (const finding of join.visit(key, events)) findings.push(finding);
    };
    // A: grown by an unsealed event 4 (anchored at 3). B: grown by a sealed one. C: new, unsealed.
    await visit(A, chain(A, 4));
    await visit(B, [...chain(B, 2), ...sealed(chain(B, 3)).slice(2)]);
    await visit(C, chain(C, 2));
    await visit(D, chain(D, 1));
    for await (const finding of join.finish()) findings.push(finding);
    expect(findings).toEqual([
      { subject: A, kind: 'unsealed-since-checkpoint', seq: 4, eventId: `${A}-4` },
      { subject: C, kind: 'unsealed-since-checkpoint', seq: 1, eventId: `${C}-1` },
      { subject: C, kind: 'unsealed-since-checkpoint', seq: 2, eventId: `${C}-2` },
    ]);
  });
});
