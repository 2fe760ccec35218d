import { z } from 'zod';
import { tokenDelivery } from './login.schema.ts';

const code = z.string().trim().min(6, 'Enter the code from your app or a recovery code.').max(32);

/** The current password: a session alone does not manage 2FA. */
const currentPassword = z.string().min(1, 'Enter your password.').max(1024);

export const setupTwoFactorInput = z.object({ password: currentPassword });

export const setupTwoFactorOutput = z.object({
  /** Base32, for typing into an app by hand. */
  secret: z.string(),
  otpauthUri: z.string().startsWith('otpauth://totp/'),
  qrCodeDataUrl: z.string().startsWith('data:image/png;base64,'),
});

export const enableTwoFactorInput = z.object({ password: currentPassword, code: z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code from your app.') });

export const recoveryCodesOutput = z.object({ recoveryCodes: z.array(z.string()).length(10) });

export const disableTwoFactorInput = z.object({ password: currentPassword, code });

export const regenerateRecoveryCodesInput = z.object({ code });

export const twoFactorStatusOutput = z.object({ enabled: z.boolean(), recoveryCodesRemaining: z.number().int().min(0) });

export const login2faInput = z.object({ challengeId: z.uuid(), code, tokenDelivery });
