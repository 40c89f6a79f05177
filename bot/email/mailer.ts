import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { errorFields, type Logger } from '../platform/log.js';

/** What the bot sends; builders in bot/email/messages.ts make them. */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Extra header lines, single-line values (RFC 8058 List-Unsubscribe and its Post). */
  readonly headers: Readonly<Record<string, string>>;
  /** For logs only ("confirmation", "withdrawal"): addresses and bodies never go to logs. */
  readonly kind?: string;
}

export interface Mailer {
  /** Resolves once the SMTP server accepted the message (or the outbox file is written). */
  send(mail: OutgoingMail): Promise<void>;
}

export interface MailerOptions {
  /** smtp://user:pass@host:587 or smtps://...; unset: the development outbox. */
  readonly smtpUrl?: string | undefined;
  /** The From header, e.g. `Privacy assistant <privacy@example.com>`. */
  readonly from: string;
  /** Where the development outbox writes one .eml file per message. */
  readonly outboxDir: string;
  readonly log: Logger;
}

/** The one error a caller has to handle: tell the person, keep the purpose pending. */
export class MailUnavailableError extends Error {
  readonly code = 'MAIL_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    // No detail from the cause: SMTP replies quote addresses ("550 <x@y>: no such user").
    super('the e-mail could not be sent', options);
    this.name = 'MailUnavailableError';
  }
}

// Bounded waits: a person is waiting for the bot's reply while we talk to the SMTP server.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** Printable ASCII on one line, within RFC 5322's 998-character line limit with its name. */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e]{1,900}$/;

function messageOf(from: string, mail: OutgoingMail) {
  const headers: Record<string, { prepared: true; value: string }> = {};
  for (const [name, value] of Object.entries(mail.headers)) {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(name) || !PLAIN_HEADER_VALUE.test(value)) {
      throw new TypeError('mailer: extra headers must be printable ASCII on one line');
    }
    // Sent as written, unfolded: `List-Unsubscribe: <url>` on one line is what every mail
    // provider parses, and what DKIM signs.
    headers[name] = { prepared: true, value };
  }
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers,
    // Our bodies are our own text: never let a value make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export function createMailer(options: MailerOptions): Mailer {
  const { log } = options;
  const kindOf = (mail: OutgoingMail): string => mail.kind ?? 'mail';

  if (options.smtpUrl) {
    const transport = nodemailer.createTransport({
      url: options.smtpUrl,
      ...SMTP_TIMEOUTS,
      logger: false,
      debug: false,
    });
    return {
      async send(mail) {
        const message = messageOf(options.from, mail);
        try {
          const info = await transport.sendMail(message);
          log.info('mail.sent', { kind: kindOf(mail), messageId: info.messageId });
        } catch (error) {
          const responseCode = (error as { responseCode?: unknown }).responseCode;
          log.warn('mail.failed', {
            kind: kindOf(mail),
            ...errorFields(error),
            smtpCode: typeof responseCode === 'number' ? responseCode : undefined,
          });
          throw new MailUnavailableError({ cause: error });
        }
      },
    };
  }

  // Development: no SMTP server needed. Each message is a file a newcomer can open (any mail
  // client reads .eml) to follow the confirmation link. It holds an address: the folder is
  // personal data like the rest of DATA_DIR.
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async send(mail) {
      const message = messageOf(options.from, mail);
      try {
        const info = await transport.sendMail(message);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const file = `${stamp}-${kindOf(mail).replace(/[^a-z0-9-]/gi, '')}-${randomBytes(4).toString('hex')}.eml`;
        await mkdir(options.outboxDir, { recursive: true, mode: 0o700 });
        await writeFile(join(options.outboxDir, file), info.message as Buffer, {
          mode: 0o600,
          flag: 'wx',
        });
        log.info('mail.outbox', { kind: kindOf(mail), messageId: info.messageId, file });
      } catch (error) {
        log.warn('mail.failed', { kind: kindOf(mail), ...errorFields(error) });
        throw new MailUnavailableError({ cause: error });
      }
    },
  };
}
