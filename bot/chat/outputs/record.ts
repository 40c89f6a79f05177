import { MessageFactory } from 'botbuilder';
import { purposeOf } from '../../../consent/catalogue.js';
import { decisionAbout, needsDoubleOptIn, type ConsentDecision } from '../../../consent/ledger.js';
import { outputHandler } from './handler.js';

/**
 * A decision of the person. Appended to the ledger with the turn's head before anything of the
 * turn is sent, so the person is never told "noted" for a decision that is not stored. With an
 * address (double opt-in), the confirmation link is mailed once the `given` is durable: a link
 * never exists for a consent the ledger does not hold.
 */
export const record = outputHandler<'record', string | undefined>({
  decisions: ({ catalogue, data, facts, locale }, output) => {
    const purpose = purposeOf(catalogue, output.purposeId);
    if (!purpose) return [];
    const decision = decisionAbout(catalogue, purpose, {
      subject: facts.subject,
      decision: output.decision,
      noticeHash: data.shown[purpose.id] ?? null,
      locale,
      channelId: facts.channelId,
      conversationId: facts.conversationId,
      activityId: facts.activityId,
      source: 'conversation',
      explicit: output.explicit,
    });
    // An e-mail purpose agreed to without a new address: the one on file is verified already
    // (double opt-in done before), so consent counts at once.
    const verifiedAlready =
      output.decision === 'given' && output.address === undefined && needsDoubleOptIn(purpose);
    const confirmed: ConsentDecision[] = verifiedAlready
      ? [{ ...decision, decision: 'confirmed', activityId: `${facts.activityId}:confirmed` }]
      : [];
    return [decision, ...confirmed];
  },
  /** The masked address the link went to, or 'failed'. */
  act: async ({ deps, facts, locale }, output) =>
    output.address === undefined
      ? undefined
      : deps.doubleOptIn.send(facts.subject, output.purposeId, output.address, locale),
  render: ({ catalogue, locale, t, confirmationHours }, output, sentTo) => {
    const title = purposeOf(catalogue, output.purposeId)?.title[locale] ?? output.purposeId;
    if (output.address !== undefined) {
      return [
        MessageFactory.text(
          sentTo === undefined || sentTo === 'failed'
            ? t('address.sendFailed')
            : t('address.sent', { title, address: sentTo, hours: confirmationHours ?? 48 }),
        ),
      ];
    }
    if (output.decision === 'given' || output.decision === 'refused') {
      return [MessageFactory.text(t(`decision.${output.decision}`, { title }))];
    }
    return [];
  },
});
