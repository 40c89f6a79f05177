import { MessageFactory } from 'botbuilder';
import { purposeOf } from '../../../consent/catalogue.js';
import { outputHandler } from './handler.js';

/** "Tell me more" about the purpose being asked. */
export const details = outputHandler<'details'>({
  render: ({ catalogue, locale, t }, output) => {
    const purpose = purposeOf(catalogue, output.purposeId);
    if (!purpose) return [];
    return [
      MessageFactory.text(
        t('purpose.details', { title: purpose.title[locale], details: purpose.details[locale] }),
      ),
    ];
  },
});
