export interface ChatMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  content: string;
  usage: TokenUsage;
}

export type StreamEvent = { type: 'delta'; content: string } | { type: 'usage'; usage: TokenUsage };

/** A chat-completions backend. Implementations throw UpstreamError only. */
export interface ChatProvider {
  readonly name: 'local' | 'openai';
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult>;
  stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<StreamEvent>;
}

/**
 * What went wrong upstream, as a kind only: upstream bodies, messages and keys are never carried,
 * so nothing of them can reach a client or a log line.
 */
export type UpstreamErrorKind = 'timeout' | 'rate_limited' | 'server_error' | 'unreachable' | 'malformed' | 'rejected' | 'circuit_open';

export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  readonly status: number | undefined;
  constructor(kind: UpstreamErrorKind, status?: number) {
    super(`upstream ${kind}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'UpstreamError';
    this.kind = kind;
    this.status = status;
  }

  /** Worth another attempt: the upstream is busy or failing, not refusing the request itself. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server_error' || this.kind === 'unreachable';
  }
}
