import type { MailMessage } from './mailer.ts';

/**
 * Every email the application sends, as data: the queue carries the template name and parameters,
 * and the worker renders them. Each renders to plain text and to simple HTML with the same content.
 */
export type MailTemplate =
  | { template: 'verify_email'; link: string }
  | { template: 'password_reset'; link: string }
  | { template: 'password_changed'; twoFactorKept?: boolean }
  | { template: 'account_locked'; minutes: number; resetLink: string }
  | { template: 'two_factor_changed'; enabled: boolean }
  | { template: 'two_factor_reset_by_admin' }
  | { template: 'account_exists'; signInLink: string; resetLink: string }
  /** To the new address: the link that makes it the account's address. */
  | { template: 'confirm_email_change'; link: string }
  /** To the old address, once the change is made: the undo link (7 days). */
  | { template: 'email_changed'; newEmail: string; undoLink: string }
  /** To an address another account asked to take: it already has an account, nothing changed. */
  | { template: 'email_change_taken'; signInLink: string; resetLink: string }
  /** Carries the single-use download link: sent by the export job itself, never queued. */
  | { template: 'data_export_ready'; link: string }
  | { template: 'account_deletion_scheduled'; deletionAt: string; cancelLink: string }
  | { template: 'account_erased' }
  | { template: 'connected_account_needs_reauth'; provider: string; reconnectLink: string }
  | AccountThrottledMail
  | WebhookDisabledMail;

interface Content {
  subject: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  footer?: string;
}

const IGNORE = 'If this was not you, you can ignore this email.';
const NOT_YOU = 'If this was not you, reset your password now and review your active sessions.';

function contentOf(mail: MailTemplate): Content {
  switch (mail.template) {
    case 'connected_account_needs_reauth':
      return {
        subject: `Reconnect your ${mail.provider} account`,
        paragraphs: [
          `Bastion can no longer reach your ${mail.provider} account: its access was withdrawn or has expired. Features that use it are paused until you reconnect it.`,
        ],
        action: { label: `Reconnect ${mail.provider}`, url: mail.reconnectLink },
        footer: `If you no longer want Bastion to use ${mail.provider}, you can disconnect it in the same place.`,
      };
    case 'verify_email':
      return {
        subject: 'Confirm your email address',
        paragraphs: ['Confirm that this is your email address to finish setting up your Bastion account. The link works once and expires in 24 hours.'],
        action: { label: 'Confirm email address', url: mail.link },
        footer: IGNORE,
      };
    case 'password_reset':
      return {
        subject: 'Reset your password',
        paragraphs: ['Someone asked to reset the password of your Bastion account. The link works once and expires in 1 hour.'],
        action: { label: 'Choose a new password', url: mail.link },
        footer: `${IGNORE} Your password stays as it is.`,
      };
    case 'password_changed':
      if (mail.twoFactorKept) {
        return {
          subject: 'Your password was changed',
          paragraphs: [
            'The password of your Bastion account was just reset with the link we emailed, and all your sessions were signed out.',
            'Two-factor authentication stayed on: signing in still needs a code from your authenticator app or a recovery code.',
          ],
          footer:
            'If this was not you, someone can read your email: secure your mailbox first, then reset your password again and review your active sessions. Your second factor still protects the account.',
        };
      }
      return {
        subject: 'Your password was changed',
        paragraphs: ['The password of your Bastion account was just changed, and your other sessions were signed out.'],
        footer: NOT_YOU,
      };
    case 'account_locked':
      return {
        subject: 'Sign-in to your account was paused',
        paragraphs: [
          `After several failed sign-in attempts, signing in to your Bastion account from one network is paused for ${mail.minutes} minutes. Your other devices are not affected.`,
          'If it was you, wait or reset your password to unlock it now.',
        ],
        action: { label: 'Reset your password', url: mail.resetLink },
        footer: 'If it was not you, someone may be guessing your password: choose a strong, unique one.',
      };
    case 'two_factor_changed':
      return {
        subject: mail.enabled ? 'Two-factor authentication is on' : 'Two-factor authentication was turned off',
        paragraphs: [
          mail.enabled
            ? 'Two-factor authentication is now on for your Bastion account. Keep your recovery codes somewhere safe.'
            : 'Two-factor authentication was turned off for your Bastion account.',
        ],
        footer: NOT_YOU,
      };
    case 'account_throttled':
      return accountThrottledContent(mail);
    case 'webhook_endpoint_disabled':
      return webhookDisabledContent(mail);
    case 'two_factor_reset_by_admin':
      return {
        subject: 'Two-factor authentication was turned off by an administrator',
        paragraphs: [
          'An administrator turned off two-factor authentication for your Bastion account, after a request to recover it without the authenticator app or the recovery codes. All your sessions were signed out.',
          'Sign in with your password and set up two-factor authentication again.',
        ],
        footer: 'If you did not ask for this, contact your administrator now and reset your password.',
      };
    case 'data_export_ready':
      return {
        subject: 'Your data export is ready',
        paragraphs: [
          'The archive of your Bastion data you asked for is ready. Download it while signed in to your account: the link works once and expires in 24 hours.',
        ],
        action: { label: 'Download my data', url: mail.link },
        footer: 'If you did not ask for this, change your password: someone signed in to your account.',
      };
    case 'account_deletion_scheduled':
      return {
        subject: 'Your account will be deleted',
        paragraphs: [
          `Your Bastion account and all its data will be deleted for good on ${mail.deletionAt} (UTC). All your sessions were signed out.`,
          'Changed your mind? Sign in before then and cancel the deletion.',
        ],
        action: { label: 'Keep my account', url: mail.cancelLink },
        footer: NOT_YOU,
      };
    case 'account_erased':
      return {
        subject: 'Your account was deleted',
        paragraphs: ['As you asked, your Bastion account and the data it held were deleted. This is the last email we send you.'],
      };
    case 'confirm_email_change':
      return {
        subject: 'Confirm your new email address',
        paragraphs: [
          'Someone signed in to a Bastion account asked to use this email address for it. Confirm to make the change; until then the account keeps its current address. The link works once and expires in 24 hours.',
        ],
        action: { label: 'Use this email address', url: mail.link },
        footer: IGNORE,
      };
    case 'email_changed':
      return {
        subject: 'The email address of your account was changed',
        paragraphs: [
          `The email address of your Bastion account was changed to ${mail.newEmail}. From now on, sign in and receive mail with that address.`,
          'If you did not make this change, undo it with the link below within 7 days: the account gets this address back and every session is signed out. Then reset your password.',
        ],
        action: { label: 'Undo the change', url: mail.undoLink },
      };
    case 'email_change_taken':
      return {
        subject: 'Someone tried to use your address for another account',
        paragraphs: [
          'Someone signed in to another Bastion account asked to move it to this email address. You already have an account with it, so nothing was changed.',
          `Sign in with your password, or if you have forgotten it, reset it here: ${mail.resetLink}`,
        ],
        action: { label: 'Sign in', url: mail.signInLink },
        footer: IGNORE,
      };
    case 'account_exists':
      return {
        subject: 'Someone tried to create an account with your address',
        paragraphs: [
          'Someone, perhaps you, tried to create a new Bastion account with this email address. You already have an account, so nothing was created or changed.',
          `Sign in with your password, or if you have forgotten it, reset it here: ${mail.resetLink}`,
        ],
        action: { label: 'Sign in', url: mail.signInLink },
        footer: IGNORE,
      };
  }
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

export function renderMail(to: string, mail: MailTemplate): MailMessage {
  const content = contentOf(mail);
  const text = [
    ...content.paragraphs,
    ...(content.action ? [`${content.action.label}:\n${content.action.url}`] : []),
    ...(content.footer ? [content.footer] : []),
    '— Bastion',
  ].join('\n\n');
  const html = `<!doctype html>
<html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111;max-width:560px;margin:0 auto;padding:24px">
${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${content.action ? `<p><a href="${escapeHtml(content.action.url)}" style="display:inline-block;background:#1d4ed8;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(content.action.label)}</a></p>\n<p style="font-size:13px;color:#555">Or open this link: ${escapeHtml(content.action.url)}</p>` : ''}
${content.footer ? `<p style="font-size:13px;color:#555">${escapeHtml(content.footer)}</p>` : ''}
<p>— Bastion</p>
</body></html>`;
  return { to, subject: content.subject, text, html };
}

/** Sent once per window when an account's ceiling of failed sign-ins from all networks is reached. */
export interface AccountThrottledMail {
  template: 'account_throttled';
  minutes: number;
  /** The forgot-password page, never a reset token: the mail is triggered by someone else's guesses. */
  resetLink: string;
}

function accountThrottledContent(mail: AccountThrottledMail): Content {
  return {
    subject: 'Many failed sign-ins to your account',
    paragraphs: [
      'There were many failed attempts to sign in to your Bastion account, from several networks.',
      `To protect it, signing in from new devices is paused for up to ${mail.minutes} minutes. Browsers you have signed in with before are not affected.`,
      'Resetting your password lifts the pause at once.',
    ],
    action: { label: 'Reset your password', url: mail.resetLink },
    footer: 'If it was not you, someone may be guessing your password: choose a strong, unique one.',
  };
}

/** Sent when an endpoint is disabled automatically: its receiver answered 410 Gone, or failed for 5 days. */
export interface WebhookDisabledMail {
  template: 'webhook_endpoint_disabled';
  url: string;
  reason: 'gone' | 'failing';
  /** The Webhooks page, where the endpoint is enabled again and its dead deliveries replayed. */
  pageLink: string;
}

function webhookDisabledContent(mail: WebhookDisabledMail): Content {
  return {
    subject: 'A webhook endpoint was disabled',
    paragraphs: [
      `Bastion stopped sending webhooks to ${mail.url}.`,
      mail.reason === 'gone'
        ? 'The receiver answered 410 Gone, which says the endpoint no longer exists.'
        : 'Every delivery to it has failed for 5 days.',
      'Fix the receiver, then enable the endpoint again and replay the deliveries you need from its delivery log.',
    ],
    action: { label: 'Open your webhooks', url: mail.pageLink },
  };
}
