import { z } from 'zod';

export const modelId = z
  .string()
  .min(1, 'Choose a model.')
  .max(100, 'A model id has at most 100 characters.')
  .regex(/^[a-zA-Z0-9/\-_:.]+$/, 'A model id has only letters, digits and / - _ : .');

export const chatMessage = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string().min(1, 'A message cannot be empty.').max(4000, 'A message has at most 4000 characters.'),
});

export const chatInput = z.object({
  model: modelId,
  messages: z.array(chatMessage).min(1, 'Send at least one message.').max(50, 'Send at most 50 messages.'),
  maxTokens: z.number().int().min(1).max(4000).optional(),
  /** Continue this conversation: its stored messages come before `messages`. */
  conversationId: z.uuid().optional(),
  /**
   * Client-generated, one per user message: a replay with the same id (a retry, a reconnecting
   * EventSource) gets the first call's answer instead of a second upstream call and charge.
   */
  requestId: z.uuid().optional(),
});

export const tokenUsage = z.object({ promptTokens: z.number().int().nonnegative(), completionTokens: z.number().int().nonnegative() });

export const chatOutput = z.object({
  conversationId: z.uuid(),
  message: z.object({ role: z.literal('assistant'), content: z.string() }),
  usage: tokenUsage,
});

export const chatStreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delta'), content: z.string() }),
  chatOutput.extend({ type: z.literal('done') }),
]);

export type ChatInput = z.infer<typeof chatInput>;
export type ChatOutput = z.infer<typeof chatOutput>;
export type ChatStreamEvent = z.infer<typeof chatStreamEvent>;
