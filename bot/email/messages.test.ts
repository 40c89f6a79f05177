import { describe, expect, it } from 'vitest';
import enMail from '../../locales/en/mail.json' with { type: 'json' };
import enPages from '../../locales/en/pages.json' with { type: 'json' };
import frMail from '../../locales/fr/mail.json' with { type: 'json' };
import frPages from '../../locales/fr/pages.json' with { type: 'json' };
import { controller, TO, translator } from '../../test/email-fixture.js';
import { confirmationMail, withdrawalMail } from './messages.js';

describe('mail messages', () => {
  const input = {
    to: TO,
    controller,
    purposeTitle: 'News & "offers" <weekly>',
    confirmUrl: 'https://bot.example.com/confirm?token=a&lang=en',
    unsubscribeUrl: 'https://bot.example.com/unsubscribe?token=b',
    expiresInHours: 1,
  };

  it('puts RFC 8058 headers on every mail', () => {
    const expected = {
      'List-Unsubscribe': '<https://bot.example.com/unsubscribe?token=b>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    };
    expect(confirmationMail({ ...input, t: translator('en') }).headers).toEqual(expected);
    expect(
      withdrawalMail({ ...input, t: translator('fr'), purposeTitles: ['x'], restartHint: 'Hi' })
        .headers,
    ).toEqual(expected);
  });

  it('escapes the HTML part and keeps the text part plain', () => {
    const mail = confirmationMail({ ...input, t: translator('en') });
    expect(mail.html).toContain('News &amp; &quot;offers&quot; &lt;weekly&gt;');
    expect(mail.html).toContain('href="https://bot.example.com/confirm?token=a&amp;lang=en"');
    expect(mail.html).not.toContain('<weekly>');
    expect(mail.text).toContain('News & "offers" <weekly>');
    expect(mail.subject).toBe('Please confirm: News & "offers" <weekly>');
    expect(mail.text).toContain('The link works for 1 hour.');
  });

  it('speaks French with vouvoiement', () => {
    const mail = confirmationMail({ ...input, t: translator('fr'), expiresInHours: 48 });
    expect(mail.subject).toBe('Merci de confirmer : News & "offers" <weekly>');
    expect(mail.text).toContain('Le lien fonctionne pendant 48 heures.');
    expect(mail.text).toContain('Rien ne vous est envoyé avant votre confirmation.');
    expect(mail.text).not.toMatch(/\b(tu|te|ton|ta|tes)\b/i);
  });

  it('refuses links that are not absolute http(s) URLs', () => {
    expect(() =>
      confirmationMail({ ...input, t: translator('en'), confirmUrl: 'javascript:alert(1)' }),
    ).toThrow(RangeError);
    expect(() =>
      withdrawalMail({
        ...input,
        t: translator('en'),
        purposeTitles: [],
        unsubscribeUrl: '/relative',
      }),
    ).toThrow(RangeError);
  });

  it('has the same keys and placeholders in en and fr', () => {
    const flat = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        typeof v === 'string'
          ? [`${prefix}${k}=${[...v.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).join(',')}`]
          : flat(v as object, `${prefix}${k}.`),
      );
    expect(flat(frMail)).toEqual(flat(enMail));
    expect(flat(frPages)).toEqual(flat(enPages));
  });
});
