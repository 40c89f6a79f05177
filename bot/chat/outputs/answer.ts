import { MessageFactory } from 'botbuilder';
import { purposeOf, type Purpose } from '../../../consent/catalogue.js';
import type { QuestionTopic } from '../../../dialogs/events.js';
import { dataLabels, type RenderInput } from '../render.js';
import { outputHandler } from './handler.js';

/** A question about the data map, answered from it (GDPR art. 12-13). */
export const answer = outputHandler<'answer'>({
  render: (scope, output) => [
    MessageFactory.text(answerText(scope, output.topic, output.purposeId)),
  ],
});

function answerText(input: RenderInput, topic: QuestionTopic, purposeId: string | null): string {
  const { catalogue, locale, t } = input;
  const controller = catalogue.controller;
  if (topic === 'controller') {
    const lines = [t('answer.controller', { name: controller.name, contact: controller.contact })];
    if (controller.dpoContact) lines.push(t('answer.dpo', { contact: controller.dpoContact }));
    return lines.join('\n');
  }
  if (topic === 'rights') return rightsText(input);
  // About one purpose when the conversation says which, otherwise about the whole data map.
  const named = purposeOf(catalogue, purposeId ?? '');
  const purposes = named ? [named] : catalogue.purposes;
  const line = (purpose: Purpose): string =>
    t(`answer.${topic}.line`, {
      title: purpose.title[locale],
      data: dataLabels(catalogue, purpose, locale),
      explanation: purpose.explanation[locale],
      retention: purpose.retention[locale],
      recipients: purpose.recipients[locale],
    });
  if (named) return line(named);
  return [t(`answer.${topic}.intro`), ...purposes.map(line)].join('\n');
}

/**
 * Every right the person has here and how to use it in this chat (GDPR art. 13(2)(b)-(d)), the
 * authority to complain to (art. 77) and how long the chat is kept (art. 13(2)(a)).
 */
function rightsText({ catalogue, locale, t, transcriptRetentionDays }: RenderInput): string {
  const authority = catalogue.supervisoryAuthority;
  return [
    t('answer.rightsList.intro'),
    ...['access', 'erasure', 'receipt', 'withdraw', 'object'].map((right) =>
      t(`answer.rightsList.${right}`),
    ),
    t('answer.rightsList.correct', { contact: catalogue.controller.contact }),
    t('answer.rightsList.complain', {
      authority: authority.name[locale],
      url: authority.url[locale],
    }),
    t('answer.rightsList.retention', { count: transcriptRetentionDays }),
  ].join('\n');
}
