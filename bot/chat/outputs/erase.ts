import { MessageFactory } from 'botbuilder';
import { ERASED_THIS_TURN } from '../transcript-logger.js';
import { outputHandler } from './handler.js';

/** Erasure, confirmed (GDPR art. 17): what it did, in words. */
export const erase = outputHandler<'erase', string>({
  act: async ({ deps, facts, t, context }) => {
    const said = await deps.rights.erase(facts.user, facts.subject, t, facts.conversationId);
    // The transcript logger must not store this turn's replies again once the person is erased.
    if (said) context.turnState.set(ERASED_THIS_TURN, true);
    return said;
  },
  render: ({ t }, _output, said) => [MessageFactory.text(said || t('erasure.failed'))],
});
