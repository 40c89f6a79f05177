import { EventFactory, MessageFactory, type Activity } from 'botbuilder';
import { openQuestionOf } from '../../../dialogs/run-conversation.js';
import { transcriptOf } from '../handoff.js';
import { outputHandler } from './handler.js';

/**
 * Bot Framework's hand-off to a person: a `handoff.initiate` event carrying the transcript as
 * stored (redacted), which the channel or agent hub routes to its people, then a word to the
 * customer.
 */
export const handoff = outputHandler<'handoff', Partial<Activity>>({
  act: async ({ deps, context, facts, locale, data }, output) => {
    const transcript = await transcriptOf(deps.transcripts, facts.channelId, facts.conversationId);
    const open = openQuestionOf(data.snapshot);
    const event = EventFactory.createHandoffInitiation(
      context,
      {
        topic: 'consent',
        ...(open ? { purposes: [open.purposeId] } : {}),
        locale,
        reason: output.reason,
      },
      transcript,
    );
    deps.log.info('handoff.to_human', {
      conversation: facts.conversationId,
      activity: facts.activityId,
      reason: output.reason,
      transcriptActivities: transcript.activities.length,
    });
    return event;
  },
  render: ({ t }, output, initiation) => [
    ...(initiation ? [initiation] : []),
    MessageFactory.text(t(`handoff.toHuman.${output.reason}`)),
  ],
});
