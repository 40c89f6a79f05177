import type { ConversationOutput } from '../../../dialogs/outputs.js';
import type { RenderInput, Reply } from '../render.js';
import { answer } from './answer.js';
import { askErasure } from './ask-erasure.js';
import { ask } from './ask.js';
import { choices } from './choices.js';
import { details } from './details.js';
import { erase } from './erase.js';
import { exportData } from './export.js';
import { handoffDone } from './handoff-done.js';
import { handoff } from './handoff.js';
import type { OutputHandler, OutputKind, OutputOf } from './handler.js';
import { reason } from './reason.js';
import { receipt } from './receipt.js';
import { record } from './record.js';
import { say } from './say.js';
import { summary } from './summary.js';

/** The one place each kind of output is handled: the compiler asks for a handler per kind. */
const HANDLERS: { readonly [K in OutputKind]: OutputHandler<OutputOf<K>> } = {
  say,
  ask,
  details,
  answer,
  summary,
  choices,
  record,
  export: exportData,
  askErasure,
  erase,
  reason,
  receipt,
  handoff,
  handoffDone,
};

export function handlerOf(output: ConversationOutput): OutputHandler<ConversationOutput> {
  return HANDLERS[output.type] as OutputHandler<ConversationOutput>;
}

/**
 * The messages of these outputs, in order, as if no effect had run (a failed effect's wording):
 * what the locale files are checked against.
 */
export async function renderOutputs(
  input: RenderInput,
  outputs: readonly ConversationOutput[],
): Promise<Reply[]> {
  const scope = { ...input, outputs };
  const replies: Reply[] = [];
  for (const output of outputs) {
    replies.push(...(await handlerOf(output).render(scope, output, undefined)));
  }
  return replies;
}

export type { Turn, OutputDeps, ChatRights } from './handler.js';
