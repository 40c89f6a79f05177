import { MessageFactory } from 'botbuilder';
import { buttons } from '../render.js';
import { outputHandler } from './handler.js';

/** Erasure is irreversible (GDPR art. 17): the person confirms it first. */
export const askErasure = outputHandler<'askErasure'>({
  render: ({ t }) => [MessageFactory.suggestedActions(buttons(t, 'erasure'), t('erasure.confirm'))],
});
