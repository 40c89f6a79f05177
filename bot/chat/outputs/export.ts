import { MessageFactory } from 'botbuilder';
import { outputHandler } from './handler.js';

/** "What do you have on me?" (GDPR art. 15). */
export const exportData = outputHandler<'export', { summary: string; json: unknown }>({
  act: ({ deps, facts, t, locale }) => deps.rights.export(facts.user, facts.subject, t, locale),
  render: ({ t }, _output, exported) => {
    if (!exported) return [MessageFactory.text(t('export.failed'))];
    // The readable summary in chat, and everything as a JSON file (GDPR art. 15(3)).
    const reply = MessageFactory.text(exported.summary);
    reply.attachments = [
      { contentType: 'application/json', name: 'my-data.json', content: exported.json },
    ];
    return [reply];
  },
});
