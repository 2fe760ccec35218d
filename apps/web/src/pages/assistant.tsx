import type { RouterOutputs } from '@bastion/api';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type Ref } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { useToast } from '../components/toast.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { isApiError, type FormError } from '../lib/api-error.ts';
import { toChatError } from '../lib/chat-error.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';
import { Markdown } from './assistant/markdown.tsx';

type Message = { role: 'user' | 'assistant' | 'system'; content: string };
type Conversation = RouterOutputs['assistant']['conversations']['list']['conversations'][number];

const MESSAGE_FIELD = 'messages.0.content';

export function AssistantPage() {
  useDocumentTitle('Assistant');
  return (
    <SignedIn>
      {(user) =>
        user.emailVerified ? (
          <Assistant />
        ) : (
          <Card>
            <PageHeading title="Assistant" subtitle="Verify your email address to use the assistant. It costs real money to run, so it is kept for verified accounts." />
          </Card>
        )
      }
    </SignedIn>
  );
}

function Assistant() {
  const utils = trpc.useUtils();
  const models = trpc.assistant.models.useQuery();
  const usage = trpc.assistant.usage.useQuery();
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [streaming, setStreaming] = useState<string | null>(null);
  const [loadingConversation, setLoadingConversation] = useState(false);
  const [draft, setDraft] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [formError, setFormError] = useState<FormError | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const secondsLeft = useCountdown(retryAt);
  const rateLimited = secondsLeft > 0;
  const subscription = useRef<{ unsubscribe: () => void } | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const model = models.data?.models[0];

  useEffect(() => () => subscription.current?.unsubscribe(), []);

  const refreshSidebar = () => {
    void utils.assistant.usage.invalidate();
    void utils.assistant.conversations.list.invalidate();
  };

  const open = async (id: string | null) => {
    subscription.current?.unsubscribe();
    setStreaming(null);
    setFormError(null);
    setFieldError(undefined);
    setConversationId(id);
    if (!id) {
      setMessages([]);
      textarea.current?.focus();
      return;
    }
    setLoadingConversation(true);
    try {
      const { conversation } = await utils.assistant.conversations.get.fetch({ id });
      setMessages(conversation.messages);
    } catch (error) {
      setFormError(toChatError(error, MESSAGE_FIELD).form);
    } finally {
      setLoadingConversation(false);
    }
  };

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const content = draft.trim();
    if (!content || !model || streaming !== null || rateLimited) return;
    setFormError(null);
    setFieldError(undefined);
    setMessages((current) => [...current, { role: 'user', content }]);
    setDraft('');
    setStreaming('');
    subscription.current = utils.client.assistant.chatStream.subscribe(
      // One id per user message: a reconnecting EventSource replays it without a second charge.
      { model, messages: [{ role: 'user', content }], conversationId: conversationId ?? undefined, requestId: crypto.randomUUID() },
      {
        onData: (data) => {
          if (data.type === 'delta') {
            setStreaming((current) => (current ?? '') + data.content);
            return;
          }
          setMessages((current) => [...current, data.message]);
          setStreaming(null);
          setConversationId(data.conversationId);
          subscription.current?.unsubscribe();
          refreshSidebar();
        },
        onError: (error) => {
          // The message was not answered: give it back to the composer.
          setMessages((current) => current.slice(0, -1));
          setDraft(content);
          setStreaming(null);
          const { field, form } = toChatError(error, MESSAGE_FIELD);
          const retryAfter = isApiError(error) && error.data?.reason === 'rate_limited' ? error.data.retryAfterSeconds : undefined;
          setFieldError(field);
          // A rate limit is shown as the countdown instead of its message.
          setFormError(retryAfter ? null : form);
          setRetryAt(retryAfter ? Date.now() + retryAfter * 1000 : null);
          void utils.assistant.usage.invalidate();
          textarea.current?.focus();
        },
      },
    );
  };

  return (
    <div className="grid w-full max-w-5xl gap-4 self-start md:grid-cols-[16rem_minmax(0,1fr)]">
      <ConversationList activeId={conversationId} onOpen={(id) => void open(id)} onDeleted={(id) => (id === conversationId ? void open(null) : undefined)} />
      {/* A fixed height: the log scrolls inside it and the composer stays in view below it. */}
      <section
        aria-labelledby="assistant-heading"
        className="flex h-[calc(100dvh-8rem)] min-h-[26rem] min-w-0 flex-col overflow-hidden rounded-2xl bg-white shadow-sm ring-1 ring-slate-200 md:h-[calc(100dvh-10rem)] dark:bg-gray-900 dark:ring-gray-700"
      >
        <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-4 py-3 sm:px-6 dark:border-gray-800">
          <h1 id="assistant-heading" tabIndex={-1} className="text-xl font-bold tracking-tight text-slate-900 focus:outline-none dark:text-gray-100">
            Assistant
          </h1>
          {models.data?.provider === 'local' && (
            <span data-testid="local-provider-badge" className="rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-600/20 ring-inset dark:bg-amber-950 dark:text-amber-200">
              Local demo provider: offline, not an AI model
            </span>
          )}
        </div>
        <Quota usage={usage.data} />
        <MessageLog messages={messages} streaming={streaming} loading={loadingConversation} />
        <form onSubmit={send} noValidate className="shrink-0 space-y-2 border-t border-slate-100 bg-white px-4 py-3 sm:px-6 dark:border-gray-800 dark:bg-gray-900">
          {formError && <FormAlert error={formError} />}
          {rateLimited && (
            <p role="status" data-testid="rate-limit-countdown" className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
              You sent a lot of messages. You can send again in {secondsLeft} {secondsLeft === 1 ? 'second' : 'seconds'}.
            </p>
          )}
          <Composer ref={textarea} value={draft} onChange={setDraft} error={fieldError} onSubmit={() => send()} />
          <div className="flex items-center justify-between gap-2">
            <p className="text-xs text-slate-500 dark:text-gray-400">Enter sends, Shift+Enter starts a new line.</p>
            <Button type="submit" pending={streaming !== null} pendingLabel="Answering…" disabled={!model || !draft.trim() || rateLimited}>
              Send
            </Button>
          </div>
        </form>
      </section>
    </div>
  );
}

/** Whole seconds until `until` (ms since epoch), ticking every second; 0 once passed. */
function useCountdown(until: number | null): number {
  const left = () => (until === null ? 0 : Math.max(0, Math.ceil((until - Date.now()) / 1000)));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    setSeconds(left());
    if (until === null) return;
    const timer = setInterval(() => {
      const next = left();
      setSeconds(next);
      if (next === 0) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [until]);
  return seconds;
}

function Quota({ usage }: { usage: RouterOutputs['assistant']['usage'] | undefined }) {
  const format = new Intl.NumberFormat();
  return (
    <p data-testid="assistant-quota" className="border-b border-slate-100 px-4 py-2 text-xs text-slate-600 sm:px-6 dark:border-gray-800 dark:text-gray-400">
      {usage ? (
        <>
          {usage.requestsRemainingThisMinute} {usage.requestsRemainingThisMinute === 1 ? 'request' : 'requests'} left this minute ·{' '}
          {format.format(usage.tokensRemainingToday)} of {format.format(usage.tokenBudgetPerDay)} tokens left today
        </>
      ) : (
        'Loading your quota…'
      )}
    </p>
  );
}

function MessageLog({ messages, streaming, loading }: { messages: Message[]; streaming: string | null; loading: boolean }) {
  const end = useRef<HTMLDivElement>(null);
  // A block body: scrollIntoView returns a promise in newer browsers, and an effect may only return a cleanup.
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [messages, streaming]);
  if (loading) {
    return (
      <div className="flex flex-1 items-center justify-center p-6">
        <LoadingStatus label="Loading the conversation…" />
      </div>
    );
  }
  return (
    <div role="log" aria-live="polite" aria-label="Conversation" tabIndex={0} className="min-h-0 flex-1 space-y-3 overflow-y-auto overscroll-contain px-4 py-4 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:px-6">
      {messages.length === 0 && streaming === null && <p className="py-10 text-center text-sm text-slate-500 dark:text-gray-400">Ask anything to start a conversation.</p>}
      {messages.map((message, index) => (
        <Bubble key={index} message={message} />
      ))}
      {streaming !== null && (
        <div aria-busy="true">
          <Bubble message={{ role: 'assistant', content: streaming || '…' }} />
        </div>
      )}
      <div ref={end} />
    </div>
  );
}

function Bubble({ message }: { message: Message }) {
  const mine = message.role === 'user';
  return (
    <div className={`flex ${mine ? 'justify-end' : 'justify-start'}`}>
      <div
        data-testid={`message-${message.role}`}
        className={`max-w-[85%] min-w-0 rounded-2xl px-4 py-2 text-sm break-words ${mine ? 'bg-indigo-600 whitespace-pre-wrap text-white' : 'bg-slate-100 text-slate-900 dark:bg-gray-800 dark:text-gray-100'}`}
      >
        <span className="sr-only">{mine ? 'You: ' : 'Assistant: '}</span>
        {/* Replies are Markdown, rendered to elements (never HTML); what the user typed stays verbatim. */}
        {mine ? message.content : <Markdown source={message.content} />}
      </div>
    </div>
  );
}

function Composer({ ref, value, onChange, error, onSubmit }: { ref: Ref<HTMLTextAreaElement>; value: string; onChange: (value: string) => void; error?: string; onSubmit: () => void }) {
  const id = useId();
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      onSubmit();
    }
  };
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800 dark:text-gray-200">
        Message
      </label>
      <textarea
        ref={ref}
        id={id}
        name="message"
        maxLength={4000}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        rows={2}
        className={`block max-h-40 w-full resize-none rounded-lg border bg-white px-3 py-2 text-base text-slate-900 shadow-xs focus:outline-2 sm:text-sm dark:bg-gray-800 dark:text-gray-100 ${
          error ? 'border-red-500 focus:outline-red-600' : 'border-slate-300 focus:border-indigo-600 focus:outline-indigo-600 dark:border-gray-700'
        }`}
      />
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      )}
    </div>
  );
}

function ConversationList({ activeId, onOpen, onDeleted }: { activeId: string | null; onOpen: (id: string | null) => void; onDeleted: (id: string) => void }) {
  const list = trpc.assistant.conversations.list.useQuery();
  const utils = trpc.useUtils();
  const toast = useToast();
  const [confirming, setConfirming] = useState<Conversation | null>(null);
  const remove = trpc.assistant.conversations.delete.useMutation({
    onSuccess: (_data, { id }) => {
      onDeleted(id);
      setConfirming(null);
      toast('Conversation deleted.');
      void utils.assistant.conversations.list.invalidate();
    },
  });
  return (
    <nav aria-label="Conversations" className="flex min-w-0 flex-col gap-2 rounded-2xl bg-white p-3 shadow-sm ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700">
      <Button variant="secondary" onClick={() => onOpen(null)} className="dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600">
        New conversation
      </Button>
      {list.isPending && <LoadingStatus label="Loading conversations…" />}
      {list.isError && <p className="text-sm text-red-700 dark:text-red-300">Conversations could not be loaded.</p>}
      {list.data?.conversations.length === 0 && <p className="px-1 text-sm text-slate-500 dark:text-gray-400">No conversations yet.</p>}
      <ul className="max-h-48 space-y-1 overflow-y-auto md:max-h-none">
        {list.data?.conversations.map((conversation: Conversation) => (
          <li key={conversation.id} className="flex items-center gap-1">
            <button
              type="button"
              onClick={() => onOpen(conversation.id)}
              aria-current={conversation.id === activeId ? 'true' : undefined}
              className={`min-h-11 min-w-0 flex-1 truncate rounded-md px-2 py-2 text-left text-sm focus-visible:outline-2 focus-visible:outline-indigo-600 ${
                conversation.id === activeId
                  ? 'bg-indigo-50 font-semibold text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200'
                  : 'text-slate-700 hover:bg-slate-50 dark:text-gray-300 dark:hover:bg-gray-800'
              }`}
            >
              {conversation.title}
            </button>
            <button
              type="button"
              aria-label={`Delete conversation “${conversation.title}”`}
              disabled={remove.isPending}
              onClick={() => setConfirming(conversation)}
              className="min-h-11 shrink-0 rounded-md px-2 py-2 text-xs text-slate-500 hover:bg-red-50 hover:text-red-700 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-gray-400 dark:hover:bg-red-950 dark:hover:text-red-300"
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <ConfirmDialog
        title="Delete this conversation?"
        open={confirming !== null}
        onClose={() => (setConfirming(null), remove.reset())}
        onConfirm={() => confirming && remove.mutate({ id: confirming.id })}
        confirmLabel="Delete conversation"
        pendingLabel="Deleting…"
        pending={remove.isPending}
        error={remove.isError ? 'The conversation could not be deleted. Try again.' : undefined}
        cancelLabel="Keep it"
      >
        <p>“{confirming?.title}” and all its messages are deleted for good.</p>
      </ConfirmDialog>
    </nav>
  );
}
