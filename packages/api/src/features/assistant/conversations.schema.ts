import { z } from 'zod';
import { chatMessage } from './chat.schema.ts';

export const conversationSummary = z.object({
  id: z.uuid(),
  title: z.string(),
  model: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const conversationIdInput = z.object({ id: z.uuid() });

export const listConversationsOutput = z.object({ conversations: z.array(conversationSummary) });

export const getConversationOutput = z.object({
  conversation: conversationSummary.extend({ messages: z.array(chatMessage.extend({ createdAt: z.iso.datetime() })) }),
});

export const deleteConversationOutput = z.object({ success: z.literal(true) });
