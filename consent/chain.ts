import { createHash } from 'node:crypto';
import type { ConsentEvent } from './ledger.js';

/**
 * Each subject's ledger is a hash chain: every event carries the hash of the one before it and its
 * own hash over a canonical serialisation. Changing, removing or reordering a stored event breaks
 * the chain at that place, so proof cannot be quietly altered (GDPR art. 7(1): the controller must
 * be able to demonstrate consent, and a compliance officer must be able to trust what is shown).
 */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: the same event always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash an event must carry: over everything in it but the hash itself. */
export function eventHash(event: Omit<ConsentEvent, 'hash'>): string {
  const { hash: _ignored, ...rest } = event as ConsentEvent;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/** Seals an event onto the chain after `prevHash` (GENESIS_HASH for a subject's first event). */
export function chained(
  event: Omit<ConsentEvent, 'hash' | 'prevHash'>,
  prevHash: string,
): ConsentEvent {
  const linked = { ...event, prevHash };
  return { ...linked, hash: eventHash(linked) };
}

export type ChainProblemKind =
  /** The event's content no longer matches its hash: it was changed. */
  | 'altered'
  /** The event does not point at the one before it: one was changed, removed or inserted. */
  | 'broken-link'
  /** Sequence numbers skip: an event is missing. */
  | 'missing'
  /** Sequence numbers go backwards or repeat: events were reordered or duplicated. */
  | 'reordered';

export interface ChainProblem {
  readonly kind: ChainProblemKind;
  /** Where: the sequence number of the event at which the problem shows. */
  readonly seq: number;
  readonly eventId: string;
}

/** Walks one subject's events as stored (in stored order) and reports every problem. */
export function verifyChain(events: readonly ConsentEvent[]): readonly ChainProblem[] {
  const problems: ChainProblem[] = [];
  let previous: ConsentEvent | undefined;
  for (const event of events) {
    const at = { seq: event.seq, eventId: event.id };
    if (eventHash(event) !== event.hash) problems.push({ kind: 'altered', ...at });
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (event.seq < expectedSeq) problems.push({ kind: 'reordered', ...at });
    else if (event.seq > expectedSeq) problems.push({ kind: 'missing', ...at });
    if (event.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      problems.push({ kind: 'broken-link', ...at });
    }
    previous = event;
  }
  return problems;
}
