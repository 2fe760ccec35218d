import nodemailer from 'nodemailer';
import { schema, type Database } from '@bastion/db';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** Delivers through an SMTP server (`SMTP_URL`, e.g. `smtps://user:pass@mail.example.com`). */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}

/** Development: keeps messages in the `mail_outbox` table, shown at /dev/mailbox. */
export function outboxMailer(db: Database): Mailer {
  return {
    async send(message) {
      await db.insert(schema.mailOutbox).values(message);
    },
    close: () => {},
  };
}
