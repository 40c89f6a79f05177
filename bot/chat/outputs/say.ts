import { MessageFactory } from 'botbuilder';
import { outputHandler } from './handler.js';

/** A plain message of the conversation, by its locale key. */
export const say = outputHandler<'say'>({
  render: ({ catalogue, locale, t, transcriptRetentionDays }, output) => {
    const text = t(output.key, {
      controller: catalogue.controller.name,
      example: catalogue.purposes[0]?.keywords[locale][0] ?? '',
    });
    // Help also points to the rights and says how long the chat is kept (GDPR art. 13(2)(a)).
    const withRights =
      output.key === 'help.general'
        ? `${text}\n${t('help.rights', { count: transcriptRetentionDays })}`
        : text;
    return [MessageFactory.text(withRights)];
  },
});
