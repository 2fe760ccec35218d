import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, ErrorShape, RouterInputs, RouterOutputs } from '@bastion/api';

export type { AppRouter, RouterInputs, RouterOutputs };

export interface BastionClientOptions {
  /** The API's base URL, e.g. `https://api.example.com` (the client appends `/trpc`). */
  baseUrl: string;
  /** A bearer access token, or a function returning the current one. */
  accessToken?: string | (() => string | undefined | Promise<string | undefined>);
  /** Extra headers on every request (e.g. `x-request-id`). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** Batch calls made in the same tick (default true; the server caps a batch at 10). */
  batch?: boolean;
  fetch?: typeof fetch;
}

/** A typed client for Node services. Types only are imported from the API package. */
export function createBastionClient(options: BastionClientOptions) {
  const url = `${options.baseUrl.replace(/\/$/, '')}/trpc`;
  const headers = async () => {
    const base = typeof options.headers === 'function' ? options.headers() : { ...options.headers };
    const token = typeof options.accessToken === 'function' ? await options.accessToken() : options.accessToken;
    return token ? { ...base, authorization: `Bearer ${token}` } : base;
  };
  const link = options.batch === false ? httpLink({ url, headers, fetch: options.fetch }) : httpBatchLink({ url, headers, fetch: options.fetch, maxItems: 10 });
  return createTRPCClient<AppRouter>({ links: [link] });
}

export type BastionClient = ReturnType<typeof createBastionClient>;

/** The typed error data (`reason`, `requestId`, `fieldErrors`) of a failed call, if it is one. */
export function errorDataOf(error: unknown): ErrorShape['data'] | undefined {
  return error instanceof TRPCClientError ? (error.data as ErrorShape['data'] | undefined) : undefined;
}

export { TRPCClientError };
