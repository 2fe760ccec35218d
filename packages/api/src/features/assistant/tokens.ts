import type { ChatMessage } from './provider.ts';

/**
 * A deliberately high estimate of a prompt's tokens, used to reserve budget before the upstream
 * call: one token per 3 bytes of UTF-8 (typical tokenizers average about 4 characters) plus a
 * per-message overhead. The reservation is reconciled with the upstream's real count afterwards.
 */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + Math.ceil(Buffer.byteLength(message.content, 'utf8') / 3) + 4, 2);
}

export function estimateTextTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}
