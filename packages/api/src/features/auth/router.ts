import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { schema } from '@bastion/db';
import { sessionIdOf } from './guards.ts';
import { AppError } from '../../errors/app-error.ts';
import { noInput } from '../../no-input.ts';
import { authedProcedure, publicProcedure, router, verifiedProcedure } from '../../trpc.ts';
import { login2faHandler } from './login2fa.handler.ts';
import {
  disableTwoFactorHandler,
  enableTwoFactorHandler,
  regenerateRecoveryCodesHandler,
  setupTwoFactorHandler,
  twoFactorStatusHandler,
} from './two-factor.handler.ts';
import {
  disableTwoFactorInput,
  enableTwoFactorInput,
  login2faInput,
  recoveryCodesOutput,
  regenerateRecoveryCodesInput,
  setupTwoFactorInput,
  setupTwoFactorOutput,
  twoFactorStatusOutput,
} from './two-factor.schema.ts';
import { changePasswordHandler } from './change-password.handler.ts';
import { confirmEmailChangeHandler, requestEmailChangeHandler, undoEmailChangeHandler, updateProfileHandler } from './email-change.handler.ts';
import {
  confirmEmailChangeOutput,
  emailChangeTokenInput,
  requestEmailChangeInput,
  requestEmailChangeOutput,
  undoEmailChangeOutput,
  updateProfileInput,
  updateProfileOutput,
} from './email-change.schema.ts';
import { resendVerificationHandler, verifyEmailHandler } from './email-verification.handler.ts';
import { resendVerificationOutput, successOutput, tokenInput } from './email-verification.schema.ts';
import { requestPasswordResetHandler, resetPasswordHandler } from './password-reset.handler.ts';
import { changePasswordInput, changePasswordOutput, requestPasswordResetInput, resetPasswordInput } from './password-reset.schema.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { loginHandler } from './login.handler.ts';
import { loginInput, loginOutput } from './login.schema.ts';
import { refreshHandler } from './refresh.handler.ts';
import { refreshInput, refreshOutput } from './refresh.schema.ts';
import { registerHandler } from './register.handler.ts';
import { registerInput, registerOutput } from './register.schema.ts';
import { revokeSession } from './session.service.ts';
import { listSessionsHandler, logoutAllHandler, revokeSessionHandler } from './sessions.handler.ts';
import { listSessionsOutput, logoutAllInput, revokedCountOutput, revokeSessionInput } from './sessions.schema.ts';
import { securityLogHandler } from '../security/security-log.handler.ts';
import { securityLogInput, securityLogOutput } from '../security/security-log.schema.ts';
import { clearTokenCookies } from './token-cookies.ts';
import { toUserDto, userColumns, userOutput } from './user.dto.ts';
import { PERMISSIONS, permissionsOf } from './permissions.ts';
import { providersOutput, startInput, startOutput } from '../oidc/oauth.schema.ts';
import { passwordStatusHandler, passwordStatusOutput, setPasswordHandler, setPasswordInput, setPasswordOutput } from '../oidc/set-password.handler.ts';
import { providersHandler, startHandler } from '../oidc/start.handler.ts';

export const authRouter = router({
  register: publicProcedure.meta({ rateLimit: 'auth.register' }).input(registerInput).output(registerOutput).mutation(registerHandler),

  login: publicProcedure.meta({ rateLimit: 'auth.login' }).input(loginInput).output(loginOutput).mutation(loginHandler),

  login2fa: publicProcedure.meta({ rateLimit: 'auth.login2fa' }).input(login2faInput).output(loginOutput).mutation(login2faHandler),

  twoFactor: router({
    status: authedProcedure.meta({ rateLimit: 'auth.session' }).input(noInput).output(twoFactorStatusOutput).query(twoFactorStatusHandler),
    setup: verifiedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(setupTwoFactorInput).output(setupTwoFactorOutput).mutation(setupTwoFactorHandler),
    enable: verifiedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(enableTwoFactorInput).output(recoveryCodesOutput).mutation(enableTwoFactorHandler),
    disable: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(disableTwoFactorInput).output(successOutput).mutation(disableTwoFactorHandler),
    regenerateRecoveryCodes: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(regenerateRecoveryCodesInput).output(recoveryCodesOutput).mutation(regenerateRecoveryCodesHandler),
  }),

  refresh: publicProcedure.meta({ rateLimit: 'auth.refresh' }).input(refreshInput).output(refreshOutput).mutation(refreshHandler),

  logout: authedProcedure
    .meta({ rateLimit: 'auth.session' })
    .input(noInput)
    .output(successOutput)
    .mutation(async ({ ctx }) => {
      const sessionId = sessionIdOf(ctx.auth);
      await revokeSession(ctx, ctx.auth.userId, sessionId, 'logout');
      await recordSecurityEvent(ctx, 'logout', ctx.auth.userId, { sessionId });
      clearTokenCookies(ctx.cookies, ctx.config.auth);
      return { success: true as const };
    }),

  verifyEmail: publicProcedure.meta({ rateLimit: 'auth.verifyEmail' }).input(tokenInput).output(successOutput).mutation(verifyEmailHandler),
  resendVerification: authedProcedure.meta({ rateLimit: 'auth.resendVerification' }).input(noInput).output(resendVerificationOutput).mutation(resendVerificationHandler),

  requestPasswordReset: publicProcedure.meta({ rateLimit: 'auth.requestPasswordReset' }).input(requestPasswordResetInput).output(successOutput).mutation(requestPasswordResetHandler),
  resetPassword: publicProcedure.meta({ rateLimit: 'auth.resetPassword' }).input(resetPasswordInput).output(successOutput).mutation(resetPasswordHandler),
  providers: publicProcedure.meta({ rateLimit: 'auth.providers' }).input(noInput).output(providersOutput).query(providersHandler),
  oauth: router({
    // Public: `intent: 'link'` authenticates the caller itself (the session it binds to the request).
    start: publicProcedure.meta({ rateLimit: 'auth.oauth' }).input(startInput).output(startOutput).mutation(startHandler),
  }),
  passwordStatus: authedProcedure.meta({ rateLimit: 'auth.session' }).input(noInput).output(passwordStatusOutput).query(passwordStatusHandler),
  setPassword: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(setPasswordInput).output(setPasswordOutput).mutation(setPasswordHandler),
  updateProfile: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(updateProfileInput).output(updateProfileOutput).mutation(updateProfileHandler),

  requestEmailChange: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(requestEmailChangeInput).output(requestEmailChangeOutput).mutation(requestEmailChangeHandler),

  /** Public: the link may be opened in any browser; it proves the new mailbox, not a session. */
  confirmEmailChange: publicProcedure.meta({ rateLimit: 'auth.verifyEmail' }).input(emailChangeTokenInput).output(confirmEmailChangeOutput).mutation(confirmEmailChangeHandler),

  undoEmailChange: publicProcedure.meta({ rateLimit: 'auth.verifyEmail' }).input(emailChangeTokenInput).output(undoEmailChangeOutput).mutation(undoEmailChangeHandler),

  changePassword: authedProcedure.meta({ rateLimit: 'auth.sensitive' }).input(changePasswordInput).output(changePasswordOutput).mutation(changePasswordHandler),

  logoutAll: authedProcedure.meta({ rateLimit: 'auth.session' }).input(logoutAllInput).output(revokedCountOutput).mutation(logoutAllHandler),

  sessions: router({
    list: authedProcedure.meta({ rateLimit: 'auth.session' }).input(noInput).output(listSessionsOutput).query(listSessionsHandler),
    revoke: authedProcedure.meta({ rateLimit: 'auth.session' }).input(revokeSessionInput).output(successOutput).mutation(revokeSessionHandler),
  }),

  securityLog: authedProcedure.meta({ rateLimit: 'auth.session' }).input(securityLogInput).output(securityLogOutput).query(securityLogHandler),

  me: authedProcedure
    .meta({ rateLimit: 'auth.session' })
    .input(noInput)
    .output(z.object({ user: userOutput, permissions: z.array(z.enum(PERMISSIONS)) }))
    .query(async ({ ctx }) => {
      const [user] = await ctx.db.select(userColumns).from(schema.users).where(eq(schema.users.id, ctx.auth.userId)).limit(1);
      if (!user) throw new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');
      // What the web app may show; the server checks each admin call regardless.
      return { user: toUserDto(user), permissions: permissionsOf(ctx.auth.role) };
    }),
});
