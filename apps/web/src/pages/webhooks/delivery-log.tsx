import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../../components/alerts.tsx';
import { Button } from '../../components/button.tsx';
import { LoadingStatus } from '../../components/spinner.tsx';
import { isApiError } from '../../lib/api-error.ts';
import { formatDateTime } from '../../lib/format.ts';
import { trpc } from '../../trpc.ts';

type Delivery = RouterOutputs['webhooks']['deliveries']['list']['items'][number];
type Status = Delivery['status'];

export const deliveriesKey = (endpointId: string) => ['webhooks', 'deliveries', endpointId] as const;

const STATUS_STYLE: Record<Status, string> = {
  pending: 'bg-slate-100 text-slate-700 dark:bg-gray-800 dark:text-gray-300',
  succeeded: 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
  failed: 'bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-200',
  dead: 'bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200',
};
const STATUS_LABEL: Record<Status, string> = { pending: 'Pending', succeeded: 'Succeeded', failed: 'Retrying', dead: 'Dead' };

/** One endpoint's deliveries, newest first, with a status filter, paging and replay. */
export function DeliveryLog({ endpointId, onOutcome }: { endpointId: string; onOutcome: (tone: 'success' | 'error', message: string) => void }) {
  const filterId = useId();
  const [status, setStatus] = useState<Status | ''>('');
  const utils = trpc.useUtils();
  const input = { endpointId, ...(status ? { status } : {}) };
  const log = useInfiniteQuery({
    queryKey: [...deliveriesKey(endpointId), input],
    queryFn: ({ pageParam, signal }) => utils.client.webhooks.deliveries.list.query({ ...input, ...(pageParam ? { cursor: pageParam } : {}) }, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    // Pending and retrying deliveries change by themselves.
    refetchInterval: (query) => (query.state.data?.pages.some((page) => page.items.some((item) => item.status === 'pending' || item.status === 'failed')) ? 3000 : false),
  });
  const replay = trpc.webhooks.deliveries.replay.useMutation({
    onSuccess: () => {
      onOutcome('success', 'Replay queued: it goes out with the same webhook-id.');
      void log.refetch();
    },
    onError: (error) => onOutcome('error', isApiError(error) ? error.message : 'The replay could not be queued.'),
  });
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-sm font-semibold text-slate-900 dark:text-gray-100">Delivery log</h3>
        <div className="flex items-center gap-2">
          <label htmlFor={filterId} className="text-sm text-slate-700 dark:text-gray-300">
            Status
          </label>
          <select
            id={filterId}
            value={status}
            onChange={(event) => setStatus(event.target.value as Status | '')}
            className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 dark:border-gray-700 dark:bg-gray-900"
          >
            <option value="">All</option>
            <option value="succeeded">Succeeded</option>
            <option value="failed">Retrying</option>
            <option value="dead">Dead</option>
            <option value="pending">Pending</option>
          </select>
        </div>
      </div>
      {log.isPending ? (
        <LoadingStatus label="Loading deliveries…" />
      ) : log.isError && items.length === 0 ? (
        <div className="space-y-2">
          <FormAlert error={{ message: 'We could not load the delivery log. Check your connection, then try again.' }} />
          <Button variant="secondary" compact onClick={() => void log.refetch()}>
            Try again
          </Button>
        </div>
      ) : items.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-gray-400">{status ? 'No deliveries with this status.' : 'No deliveries yet. Send a test event, or change a contact.'}</p>
      ) : (
        <ul aria-label="Deliveries" aria-busy={log.isFetching} className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200 dark:divide-gray-700 dark:ring-gray-700">
          {items.map((delivery) => (
            <DeliveryRow key={delivery.id} delivery={delivery} replaying={replay.isPending && replay.variables?.deliveryId === delivery.id} onReplay={() => replay.mutate({ deliveryId: delivery.id })} />
          ))}
        </ul>
      )}
      {log.hasNextPage && (
        <Button variant="secondary" compact pending={log.isFetchingNextPage} pendingLabel="Loading…" onClick={() => void log.fetchNextPage()}>
          Load older deliveries
        </Button>
      )}
    </div>
  );
}

function DeliveryRow({ delivery, replaying, onReplay }: { delivery: Delivery; replaying: boolean; onReplay: () => void }) {
  const finished = delivery.status === 'succeeded' || delivery.status === 'dead';
  return (
    <li className="flex flex-wrap items-start justify-between gap-3 px-3 py-3">
      <div className="min-w-0 space-y-1">
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <span className={`rounded-md px-2 py-0.5 text-xs font-semibold ${STATUS_STYLE[delivery.status]}`}>{STATUS_LABEL[delivery.status]}</span>
          <span className="font-medium text-slate-900 dark:text-gray-100">{delivery.eventType}</span>
        </p>
        <p className="text-xs text-slate-600 dark:text-gray-400">
          {[
            delivery.responseStatus !== null ? `HTTP ${delivery.responseStatus}` : delivery.attempts > 0 ? 'No response' : null,
            delivery.durationMs !== null ? `${delivery.durationMs} ms` : null,
            `${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}`,
            delivery.lastAttemptAt ? `last ${formatDateTime(delivery.lastAttemptAt)}` : null,
            delivery.nextAttemptAt && delivery.status === 'failed' ? `next ${formatDateTime(delivery.nextAttemptAt)}` : null,
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
        {delivery.responseBodyExcerpt && <p className="line-clamp-2 font-mono text-xs break-all text-slate-500 dark:text-gray-400">{delivery.responseBodyExcerpt}</p>}
      </div>
      {finished && (
        <Button variant="secondary" compact pending={replaying} pendingLabel="Replaying…" onClick={onReplay} aria-label={`Replay ${delivery.eventType} delivery`}>
          Replay
        </Button>
      )}
    </li>
  );
}
