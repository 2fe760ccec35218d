import nodemailer from 'nodemailer';
import { schema, type Database } from '@bastion/db';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * Stable per job (`<id>@<sender's domain>` on the wire): a retry after a worker died mid-send
   * repeats the same Message-ID, so mail clients and receiving servers show the mail once.
   */
  messageId?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** Delivers through an SMTP server (`SMTP_URL`, e.g. `smtps://user:pass@mail.example.com`). */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'bastion.invalid';
  return {
    async send({ messageId, ...message }) {
      await transport.sendMail({ from, ...message, ...(messageId ? { messageId: `<${messageId}@${domain}>` } : {}) });
    },
    close: () => transport.close(),
  };
}

/** Development: keeps messages in the `mail_outbox` table, shown at /dev/mailbox. */
export function outboxMailer(db: Database): Mailer {
  return {
    async send({ to, subject, text, html }) {
      await db.insert(schema.mailOutbox).values({ to, subject, text, html });
    },
    close: () => {},
  };
}
