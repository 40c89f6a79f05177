import type { Translate } from '../platform/i18n.js';
import type { OutgoingMail } from './mailer.js';

/**
 * The e-mails the bot sends, in the person's language (keys of locales/{en,fr}/mail.json, mounted
 * under `mail.`). Every one carries RFC 8058 one-click unsubscribe headers: the product promises
 * that opting out is as easy as opting in, from any message.
 */
export interface Controller {
  readonly name: string;
  readonly contact: string;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For text and attribute values alike. Locale strings are not escaped by i18next here. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Links we put in a mail are ours and absolute: refuse anything that could run or mislead. */
function httpUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`mail: ${what} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RangeError(`mail: ${what} must be an absolute http(s) URL`);
  }
  return url.href;
}

/** RFC 8058: the URL (https in production) and the one key/value a provider POSTs to it. */
export function unsubscribeHeaders(unsubscribeUrl: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${httpUrl(unsubscribeUrl, 'unsubscribeUrl')}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

interface Common {
  readonly to: string;
  readonly t: Translate;
  readonly controller: Controller;
  readonly unsubscribeUrl: string;
}

/** Paragraphs of plain text, or of already-escaped HTML. */
type Block = { readonly text: string; readonly html: string };

const para = (text: string): Block => ({ text, html: `<p>${escapeHtml(text)}</p>` });

function link(intro: string, label: string, url: string): Block {
  return {
    text: `${intro}\n${url}`,
    html: `<p>${escapeHtml(intro)}<br><a href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`,
  };
}

function render(
  common: Common,
  kind: string,
  subject: string,
  blocks: readonly Block[],
): OutgoingMail {
  const { t, controller } = common;
  const unsubscribeUrl = httpUrl(common.unsubscribeUrl, 'unsubscribeUrl');
  const sender = t('mail.footer.sender', {
    controller: controller.name,
    contact: controller.contact,
  });
  const unsubscribeIntro = t('mail.footer.unsubscribe');
  const text = [
    ...blocks.map((b) => b.text),
    '--',
    `${sender}\n${unsubscribeIntro}\n${unsubscribeUrl}`,
  ].join('\n\n');
  const html = [
    '<!doctype html>',
    `<html lang="${escapeHtml(t('mail.htmlLang'))}">`,
    `<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:sans-serif;line-height:1.5;max-width:36em;color:#222">',
    ...blocks.map((b) => b.html),
    '<hr>',
    `<p style="font-size:small;color:#555">${escapeHtml(sender)}<br>`,
    `<a href="${escapeHtml(unsubscribeUrl)}">${escapeHtml(t('mail.footer.unsubscribeLink'))}</a></p>`,
    '</body>',
    '</html>',
  ].join('\n');
  return {
    to: common.to,
    subject,
    text: `${text}\n`,
    html: `${html}\n`,
    headers: unsubscribeHeaders(unsubscribeUrl),
    kind,
  };
}

/**
 * Double opt-in: the purpose stays pending until the person opens `confirmUrl`. `purposeText` is
 * the purpose's own sentence from the data map (its `confirmationEmail`), so each purpose says what
 * is being confirmed in grammatical words of its language.
 */
export function confirmationMail(input: {
  to: string;
  t: Translate;
  controller: Controller;
  purposeTitle: string;
  purposeText: string;
  confirmUrl: string;
  unsubscribeUrl: string;
  expiresInHours: number;
}): OutgoingMail {
  const { t } = input;
  const confirmUrl = httpUrl(input.confirmUrl, 'confirmUrl');
  const purpose = input.purposeTitle;
  return render(input, 'confirmation', t('mail.confirm.subject', { purpose }), [
    para(t('mail.confirm.intro', { controller: input.controller.name })),
    para(input.purposeText),
    para(t('mail.confirm.nothingBefore')),
    link(t('mail.confirm.action'), t('mail.confirm.button'), confirmUrl),
    para(t('mail.confirm.expires', { count: input.expiresInHours })),
    para(t('mail.confirm.notYou')),
  ]);
}

/**
 * The confirmation that a stop was recorded (the opt-out is "confirmed, also by e-mail"), with how
 * to opt in again. `restartHint` replaces the default sentence (say START to the assistant).
 */
export function withdrawalMail(input: {
  to: string;
  t: Translate;
  controller: Controller;
  purposeTitles: readonly string[];
  restartHint?: string | undefined;
  unsubscribeUrl: string;
}): OutgoingMail {
  const { t } = input;
  const intro = t('mail.withdrawal.intro');
  const list: Block = {
    text: `${intro}\n${input.purposeTitles.map((title) => `• ${title}`).join('\n')}`,
    html: `<p>${escapeHtml(intro)}</p>\n<ul>${input.purposeTitles
      .map((title) => `<li>${escapeHtml(title)}</li>`)
      .join('')}</ul>`,
  };
  return render(input, 'withdrawal', t('mail.withdrawal.subject'), [
    list,
    para(t('mail.withdrawal.effect')),
    para(input.restartHint ?? t('mail.withdrawal.restart')),
    para(t('mail.withdrawal.notYou', { contact: input.controller.contact })),
  ]);
}
