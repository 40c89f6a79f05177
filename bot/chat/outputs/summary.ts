import { MessageFactory } from 'botbuilder';
import { choiceLines } from '../render.js';
import { outputHandler } from './handler.js';

/** The end of a round: every purpose and where it stands, read after the round's records. */
export const summary = outputHandler<'summary'>({
  render: async (scope, output) => [
    MessageFactory.text(
      [scope.t('summary.intro'), ...(await choiceLines(scope, output.postponed))].join('\n'),
    ),
  ],
});
