import { MessageFactory } from 'botbuilder';
import { purposeOf } from '../../../consent/catalogue.js';
import { buttons, purposeNotice } from '../render.js';
import { outputHandler } from './handler.js';

/**
 * A purpose presented and asked. Shown in full, its text is the notice the decision will point
 * to, so it is archived before it is sent (GDPR art. 7(1): proof of what the person was shown).
 */
export const ask = outputHandler<'ask'>({
  notices: (scope, output) => {
    if (output.brief) return [];
    const notice = purposeNotice(scope, output.purposeId, output.step);
    return notice ? [notice] : [];
  },
  render: (scope, output) => {
    const { catalogue, locale, t, outputs } = scope;
    // A digression in the same turn as the first presentation needs no second question.
    const fullyAsked = outputs.some(
      (o) => o.type === 'ask' && !o.brief && o.purposeId === output.purposeId,
    );
    if (output.brief && fullyAsked) return [];
    const purpose = purposeOf(catalogue, output.purposeId);
    if (!purpose) return [];
    const text =
      output.step === 'address'
        ? t('address.ask', { title: purpose.title[locale] })
        : output.brief
          ? output.step === 'explicit'
            ? t('purpose.explicitQuestion')
            : purpose.question[locale]
          : (purposeNotice(scope, output.purposeId, output.step)?.text ?? '');
    return [MessageFactory.suggestedActions(buttons(t, output.step), text)];
  },
});
