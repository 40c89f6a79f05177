import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { beforeEach, describe, expect, it } from 'vitest';
import frMail from '../../locales/fr/mail.json' with { type: 'json' };
import { closedPort, collectingLog, controller, TO, translator } from '../../test/email-fixture.js';
import { createMailer } from './mailer.js';
import { confirmationMail, withdrawalMail } from './messages.js';

describe('mailer', () => {
  let outbox: string;
  beforeEach(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'outbox-'));
    return () => rm(outbox, { recursive: true, force: true });
  });

  it('writes each message to the outbox as an .eml file when no SMTP server is set', async () => {
    const { lines, log } = collectingLog();
    const mailer = createMailer({ from: 'Privacy <privacy@example.com>', outboxDir: outbox, log });
    const unsubscribeUrl = 'https://bot.example.com/unsubscribe?token=abc.def&lang=fr';
    await mailer.send(
      withdrawalMail({
        to: TO,
        t: translator('fr'),
        controller,
        purposeTitles: ['Newsletter hebdomadaire', 'Offres personnalisées'],
        unsubscribeUrl,
      }),
    );
    const files = await readdir(outbox);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[\dT-]+Z-withdrawal-[0-9a-f]{8}\.eml$/);
    const raw = await readFile(join(outbox, files[0]!));
    const text = raw.toString('utf8');
    expect(text).toContain(`List-Unsubscribe: <${unsubscribeUrl}>`);
    expect(text).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(frMail.withdrawal.subject);
    expect(parsed.text).toContain('• Newsletter hebdomadaire\n• Offres personnalisées');
    expect(parsed.text).toContain(frMail.withdrawal.restart);
    expect(parsed.html).toContain('<li>Offres personnalisées</li>');
    expect(parsed.html).toContain('<html lang="fr">');

    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({ event: 'mail.outbox', kind: 'withdrawal', file: files[0] }),
    ]);
    expect(lines.join('\n')).not.toMatch(/lovelace|example\.org/);
    expect(lines.join('\n')).not.toContain('Newsletter');
  });

  it('rejects with MAIL_UNAVAILABLE when the SMTP server is unreachable', async () => {
    const { lines, log } = collectingLog();
    const port = await closedPort();
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'privacy@example.com',
      outboxDir: outbox,
      log,
    });
    const mail = confirmationMail({
      to: TO,
      t: translator('en'),
      controller,
      purposeTitle: 'Weekly newsletter',
      purposeText: 'You asked to receive our weekly newsletter.',
      confirmUrl: 'https://bot.example.com/confirm?token=x',
      unsubscribeUrl: 'https://bot.example.com/unsubscribe?token=y',
      expiresInHours: 1,
    });
    await expect(mailer.send(mail)).rejects.toMatchObject({ code: 'MAIL_UNAVAILABLE' });
    expect(await readdir(outbox)).toEqual([]);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ event: 'mail.failed', kind: 'confirmation', code: 'ESOCKET' }),
    ]);
    expect(lines.join('\n')).not.toMatch(/lovelace|example\.org/);
  });
});
