import type { ChatProvider, ChatRequest, ChatResult, StreamEvent } from './provider.ts';
import { estimatePromptTokens, estimateTextTokens } from './tokens.ts';

const LABEL = '[Local demo assistant: a built-in offline stand-in, not an AI model.]';

/** The reply is a function of the input only, so development and tests are reproducible offline. */
function replyTo(request: ChatRequest): string {
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const quoted = (lastUser?.content ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  const full = `${LABEL} You said: "${quoted}". Configure AI_PROVIDER=openai with AI_BASE_URL and AI_API_KEY for real answers.`;
  // maxTokens bounds the reply as it bounds a real model's.
  return full.slice(0, request.maxTokens * 3);
}

function result(request: ChatRequest): ChatResult {
  const content = replyTo(request);
  return { content, usage: { promptTokens: estimatePromptTokens(request.messages), completionTokens: estimateTextTokens(content) } };
}

export function createLocalProvider(): ChatProvider {
  return {
    name: 'local',
    async complete(request) {
      return result(request);
    },
    async *stream(request, signal): AsyncIterable<StreamEvent> {
      const { content, usage } = result(request);
      for (const piece of content.match(/\S+\s*/g) ?? []) {
        signal?.throwIfAborted();
        yield { type: 'delta', content: piece };
        await new Promise((resolve) => setImmediate(resolve));
      }
      yield { type: 'usage', usage };
    },
  };
}
