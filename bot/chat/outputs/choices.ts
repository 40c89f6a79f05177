import { MessageFactory } from 'botbuilder';
import { choiceLines } from '../render.js';
import { outputHandler } from './handler.js';

/** "Show my choices": every purpose and where it stands now. */
export const choices = outputHandler<'choices'>({
  render: async (scope) => [
    MessageFactory.text([scope.t('choices.intro'), ...(await choiceLines(scope, []))].join('\n')),
  ],
});
