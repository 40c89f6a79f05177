/**
 * Accountability (GDPR art. 5(2), 30, 32): every time an API caller reaches personal data (a
 * person's choices, history, transcripts, an export), who did it, what and when is recorded. The
 * record names the person only by the ledger's pseudonym, never by their channel id.
 */
export interface AccessRecord {
  /** ISO time of the access. */
  readonly at: string;
  /** Who: `token:<role>:<fingerprint>` for a static token, `jwt:<issuer>#<subject>` for a JWT. */
  readonly principal: string;
  readonly role: string;
  /** What was done, e.g. `consents.read`, `ledger.search`, `export.jsonl`. */
  readonly action: string;
  /** Whose data: a pseudonymous subject key, or `*` for a search across people. */
  readonly target: string;
  /** The filters of a search, without personal data (subjects pseudonymised). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export interface AccessLogQuery {
  readonly principal?: string;
  readonly from?: Date;
  readonly to?: Date;
}

export interface AccessLog {
  /** Durable on resolve: the data is sent only after its access is recorded. */
  record(entry: AccessRecord): Promise<void>;
  /** Newest first. `limit` from 1 to 1000. RangeError for a bad cursor. */
  list(
    query: AccessLogQuery,
    page: { limit: number; after?: string },
  ): Promise<{ readonly records: readonly AccessRecord[]; readonly next?: string }>;
}
