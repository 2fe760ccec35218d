import { and, eq, sql } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';

type BudgetContext = Pick<Context, 'db' | 'config'>;

const { assistantTokenUsage: usage } = schema;

/** The UTC day a reservation belongs to; reconciliation uses the same day even after midnight. */
export const utcDay = (at = new Date()) => at.toISOString().slice(0, 10);

export interface Reservation {
  userId: string;
  day: string;
  tokens: number;
}

/**
 * Reserves `tokens` of today's budget in one conditional upsert: the row is only changed if the
 * total stays within the budget, so concurrent calls can never reserve more than it together.
 */
export async function reserveTokens(ctx: BudgetContext, userId: string, tokens: number): Promise<Reservation> {
  const budget = ctx.config.assistant.dailyTokenBudget;
  const day = utcDay();
  const exhausted = () => new AppError('TOO_MANY_REQUESTS', 'token_budget_exceeded', 'Your daily assistant budget is used up, or this request is too large for what is left of it.');
  if (tokens > budget) throw exhausted();
  const rows = await ctx.db
    .insert(usage)
    .values({ userId, day, tokens })
    .onConflictDoUpdate({
      target: [usage.userId, usage.day],
      set: { tokens: sql`${usage.tokens} + excluded.tokens` },
      setWhere: sql`${usage.tokens} + excluded.tokens <= ${budget}`,
    })
    .returning({ tokens: usage.tokens });
  if (rows.length === 0) throw exhausted();
  return { userId, day, tokens };
}

/** Replaces the reservation by what was really used (0 when the call failed before any output). */
export async function reconcileTokens(ctx: BudgetContext, reservation: Reservation, usedTokens: number): Promise<void> {
  const delta = usedTokens - reservation.tokens;
  if (delta === 0) return;
  await ctx.db
    .update(usage)
    .set({ tokens: sql`greatest(${usage.tokens} + ${delta}, 0)` })
    .where(and(eq(usage.userId, reservation.userId), eq(usage.day, reservation.day)));
}

export async function tokensUsedToday(ctx: BudgetContext, userId: string): Promise<number> {
  const [row] = await ctx.db
    .select({ tokens: usage.tokens })
    .from(usage)
    .where(and(eq(usage.userId, userId), eq(usage.day, utcDay())))
    .limit(1);
  return row?.tokens ?? 0;
}
