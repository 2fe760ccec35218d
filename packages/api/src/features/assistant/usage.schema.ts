import { z } from 'zod';

export const usageOutput = z.object({
  requestsRemainingThisMinute: z.number().int().nonnegative(),
  tokensRemainingToday: z.number().int().nonnegative(),
  tokenBudgetPerDay: z.number().int().positive(),
});

export const modelsOutput = z.object({
  /** The allow-list; the first is the default. */
  models: z.array(z.string()).min(1),
  /** `local`: the built-in offline demo provider, to be labelled as such. */
  provider: z.enum(['local', 'openai']),
});
