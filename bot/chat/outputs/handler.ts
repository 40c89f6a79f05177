import type { TranscriptStore, TurnContext } from 'botbuilder';
import type { Locale } from '../../../consent/catalogue.js';
import type { ConsentDecision, NoticeRecord } from '../../../consent/ledger.js';
import type { OptOutReasons } from '../../../consent/opt-out-reasons.js';
import type { ControllerDetails } from '../../../consent/receipts.js';
import type { Subject } from '../../../consent/subject.js';
import type { ConversationOutput } from '../../../dialogs/outputs.js';
import type { DoubleOptIn } from '../../email/double-opt-in.js';
import type { Translate } from '../../platform/i18n.js';
import type { ConversationData, TurnFacts } from '../conversation-memory.js';
import type { AgentReportDeps, Handoffs } from '../handoff.js';
import type { RenderScope, Reply } from '../render.js';

/** GDPR art. 15 and 17 for the person in the chat; each returns what to say. */
export interface ChatRights {
  export(
    user: Subject,
    ledgerSubject: Subject,
    t: Translate,
    locale: Locale,
  ): Promise<{ summary: string; json: unknown }>;
  erase(
    user: Subject,
    ledgerSubject: Subject,
    t: Translate,
    conversationId: string,
  ): Promise<string>;
}

/** What carrying out the conversation's outputs reaches. */
export interface OutputDeps extends AgentReportDeps {
  readonly doubleOptIn: DoubleOptIn;
  readonly rights: ChatRights;
  readonly reasons: OptOutReasons;
  readonly now: () => Date;
  /** Read to hand a conversation, with its transcript, to a person. */
  readonly transcripts: TranscriptStore;
  readonly handoffs: Handoffs;
  /** What Kantara v1.1 requires of the controller beyond the data map (address, phone). */
  readonly controller?: ControllerDetails;
  /** How long a confirmation link works, to say so. */
  readonly confirmationHours: number;
  /** TRANSCRIPT_RETENTION_DAYS: how long this chat is kept, to tell the person. */
  readonly transcriptRetentionDays: number;
}

/** One turn as an output sees it: who, where, in which language, and the conversation before. */
export interface Turn extends RenderScope {
  readonly deps: OutputDeps;
  readonly context: TurnContext;
  readonly facts: TurnFacts;
  /** The conversation as the turn found it (what was shown before, the question open before). */
  readonly data: ConversationData;
}

export type OutputKind = ConversationOutput['type'];
export type OutputOf<K extends OutputKind> = Extract<ConversationOutput, { type: K }>;

/**
 * Everything the bot does about one kind of output, in the order a turn does it: the proof made
 * durable before anything is sent (notices archived, then decisions appended with the turn's
 * ledger head), the effect (a mail, an erasure...), the messages, and what may happen only once
 * the turn's state is saved (a retried turn must not call a webhook twice).
 */
export interface OutputHandler<O, R = unknown> {
  /** Notices shown in full by this output: archived before anything of the turn is sent. */
  readonly notices?: (scope: RenderScope, output: O) => readonly NoticeRecord[];
  /** Decisions to append, all the turn's at once and all or none, before any effect. */
  readonly decisions?: (turn: Turn, output: O) => readonly ConsentDecision[];
  /** The effect, once the turn's proof is durable; what it resolves to is rendered. */
  readonly act?: (turn: Turn, output: O) => Promise<R>;
  /** The messages; `acted` is undefined when rendering without effects (a locale check). */
  readonly render: (
    scope: RenderScope,
    output: O,
    acted: R | undefined,
  ) => Promise<Reply[]> | Reply[];
  /** After the turn's state is saved. */
  readonly afterSave?: (turn: Turn, output: O, acted: R) => void;
}

/** A handler whose effect's type is checked where it is written, then kept in the table. */
export function outputHandler<K extends OutputKind, R = undefined>(
  handler: OutputHandler<OutputOf<K>, R>,
): OutputHandler<OutputOf<K>> {
  return handler as unknown as OutputHandler<OutputOf<K>>;
}
