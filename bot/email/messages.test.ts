import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import enMail from '../../locales/en/mail.json' with { type: 'json' };
import enPages from '../../locales/en/pages.json' with { type: 'json' };
import frMail from '../../locales/fr/mail.json' with { type: 'json' };
import frPages from '../../locales/fr/pages.json' with { type: 'json' };
import { controller, TO, translator } from '../../test/email-fixture.js';
import { startSmtp } from '../../test/smtp-peer.js';
import { catalogue, TEST_KEYS } from '../../test/harness.js';
import { openMemoryStores } from '../../storage/stores.js';
import { createTranslator } from '../platform/i18n.js';
import { createLogger } from '../platform/log.js';
import { DoubleOptIn } from './double-opt-in.js';
import { createMailer } from './mailer.js';
import { confirmationMail, escapeHtml, withdrawalMail } from './messages.js';

describe('mail messages', () => {
  const input = {
    to: TO,
    controller,
    purposeTitle: 'News & "offers" <weekly>',
    purposeText: 'You asked for "news" & <offers>.',
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
    expect(mail.html).toContain('<p>You asked for &quot;news&quot; &amp; &lt;offers&gt;.</p>');
    expect(mail.html).not.toContain('<weekly>');
    expect(mail.html).not.toContain('<offers>');
    expect(mail.text).toContain('You asked for "news" & <offers>.');
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

describe('the double opt-in mail, as the SMTP peer receives it', () => {
  /** Each e-mail purpose says what it is about, from the data map, in the person's language. */
  it.each([
    ['newsletter', 'en'],
    ['newsletter', 'fr'],
    ['partner-sharing', 'en'],
    ['partner-sharing', 'fr'],
  ] as const)('%s in %s says what that purpose is', async (purposeId, locale) => {
    const smtp = await startSmtp();
    try {
      const stores = openMemoryStores();
      const doubleOptIn = new DoubleOptIn({
        catalogue,
        ledger: stores.ledger,
        confirmations: stores.confirmations,
        addresses: stores.addresses,
        mailer: createMailer({
          smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
          from: 'privacy@example.com',
          outboxDir: '/nonexistent-outbox',
          log: createLogger('silent'),
        }),
        translator: createTranslator(),
        keys: TEST_KEYS,
        publicUrl: 'http://127.0.0.1:3978',
        ttlHours: 48,
        now: () => new Date('2026-11-02T09:30:00.000Z'),
        log: createLogger('silent'),
      });
      const subject = { channelId: 'webchat', userId: 'pseudonym-of-ada' };
      const sent = doubleOptIn.send(subject, purposeId, 'ada@example.org', locale);
      const received = await simpleParser((await smtp.next()).raw);
      expect(await sent).toBe('a***@example.org');
      const purpose = catalogue.purposes.find((p) => p.id === purposeId)!;
      const others = catalogue.purposes.filter(
        (p) => p.id !== purposeId && p.contactChannel === 'email',
      );
      expect(received.text).toContain(purpose.confirmationEmail![locale]);
      expect(received.html).toContain(escapeHtml(purpose.confirmationEmail![locale]));
      for (const other of others) {
        expect(received.text).not.toContain(other.title[locale]);
        expect(received.text).not.toContain(other.confirmationEmail![locale]);
      }
    } finally {
      await smtp.close();
    }
  });
});
