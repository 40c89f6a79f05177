import { outputHandler } from './handler.js';

/** Why the person left, when they chose to say: kept as a reason and a day, never who. */
export const reason = outputHandler<'reason'>({
  act: async ({ deps }, output) => {
    await deps.reasons.record(output.reason, deps.now());
    return undefined;
  },
  render: () => [],
});
