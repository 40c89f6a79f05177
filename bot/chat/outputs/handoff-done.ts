import { reportAgentHandoff } from '../handoff.js';
import { outputHandler } from './handler.js';

/**
 * A support agent's round is over: its outcome, read from the ledger after the turn's records,
 * goes to the channel as a `handoff.status` event (not a message), and to the agent's webhook
 * once the turn is saved, so a re-run turn never calls it twice.
 */
export const handoffDone = outputHandler<
  'handoffDone',
  Awaited<ReturnType<typeof reportAgentHandoff>>
>({
  act: ({ deps, context, facts }, output) => reportAgentHandoff(deps, context, facts, output),
  render: (_scope, _output, report) => (report ? [report.status] : []),
  afterSave: ({ deps }, _output, report) => {
    if (report.record) deps.handoffs.notify(report.record);
  },
});
