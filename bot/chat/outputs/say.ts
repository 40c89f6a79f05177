import { MessageFactory } from 'botbuilder';
import { outputHandler } from './handler.js';

/** A plain message of the conversation, by its locale key. */
export const say = outputHandler<'say'>({
  render: ({ catalogue, locale, t }, output) => [
    MessageFactory.text(
      t(output.key, {
        controller: catalogue.controller.name,
        example: catalogue.purposes[0]?.keywords[locale][0] ?? '',
      }),
    ),
  ],
});
