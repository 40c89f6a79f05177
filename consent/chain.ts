import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * The hash an event must carry: over everything in it but the hash itself and its seal (the seal
 * is made from the hash, and leaving it out keeps every hash written before seals existed valid).
 */
export function eventHash(event: Omit<ConsentEvent, 'hash'>): string {
  const { hash: _hash, seal: _seal, ...rest } = event as ConsentEvent;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/**
 * A plain hash chain has no key: whoever can write to the database can change an event and
 * recompute every hash after it, and the chain verifies again. The seal is an HMAC of the event's
 * hash under a key derived from the server's secret (bot/platform/secrets.ts), which the database
 * administrator does not hold: a rewritten event cannot be given a matching seal, so verification
 * names it (GDPR art. 5(2) and 7(1): the controller must be able to demonstrate consent, and the
 * proof must not be rewritable by whoever runs the database).
 */
export type Sealer = (hash: string) => string;

export function sealerOf(sealKey: Buffer): Sealer {
  return (hash) => createHmac('sha256', sealKey).update(hash, 'utf8').digest('hex');
}

/** Does the event carry the seal of its hash under this key? */
export function sealMatches(sealKey: Buffer, event: Pick<ConsentEvent, 'hash' | 'seal'>): boolean {
  if (event.seal === undefined) return false;
  const expected = Buffer.from(sealerOf(sealKey)(event.hash), 'utf8');
  const given = Buffer.from(event.seal, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Puts an event onto the chain after `prevHash` (GENESIS_HASH for a subject's first event), sealed
 * when a sealer is given.
 */
export function chained(
  event: Omit<ConsentEvent, 'hash' | 'prevHash' | 'seal'>,
  prevHash: string,
  seal?: Sealer,
): ConsentEvent {
  const linked = { ...event, prevHash };
  const hash = eventHash(linked);
  return seal ? { ...linked, hash, seal: seal(hash) } : { ...linked, hash };
}

export type ChainProblemKind =
  /** The event's content no longer matches its hash: it was changed. */
  | 'altered'
  /** The event does not point at the one before it: one was changed, removed or inserted. */
  | 'broken-link'
  /** Sequence numbers skip: an event is missing. */
  | 'missing'
  /** Sequence numbers go backwards or repeat: events were reordered or duplicated. */
  | 'reordered'
  /**
   * The event's seal does not match its hash: it was written or rewritten by someone without the
   * key, hashes recomputed or not. The first forged event of a chain is the first one changed.
   */
  | 'forged'
  /**
   * The event has no seal although an earlier event of its chain has one: seals were stripped to
   * pass the chain off as one written before sealing (a downgrade).
   */
  | 'unsealed';

export interface ChainProblem {
  readonly kind: ChainProblemKind;
  /** Where: the sequence number of the event at which the problem shows. */
  readonly seq: number;
  readonly eventId: string;
}

export interface ChainOptions {
  /**
   * The key seals are checked with. Without it, seals are not checked: the chain then shows only
   * what a hash chain can (changes whose hashes were not recomputed).
   */
  readonly sealKey?: Buffer;
}

/**
 * Walks one subject's events as stored (in stored order) and reports every problem. Events
 * without a seal before the chain's first sealed one were written before sealing existed and
 * verify as they always did.
 */
export function verifyChain(
  events: readonly ConsentEvent[],
  options: ChainOptions = {},
): readonly ChainProblem[] {
  const { sealKey } = options;
  const problems: ChainProblem[] = [];
  let previous: ConsentEvent | undefined;
  let sealed = false;
  for (const event of events) {
    const at = { seq: event.seq, eventId: event.id };
    if (eventHash(event) !== event.hash) problems.push({ kind: 'altered', ...at });
    if (sealKey) {
      if (event.seal !== undefined) {
        sealed = true;
        if (!sealMatches(sealKey, event)) problems.push({ kind: 'forged', ...at });
      } else if (sealed) {
        problems.push({ kind: 'unsealed', ...at });
      }
    }
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
