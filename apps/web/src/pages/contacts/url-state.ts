/** The contacts list's filters and order as they appear in the URL, so a view can be shared and the back button restores it. */
export const SORT_OPTIONS = [
  { value: 'name.asc', label: 'Name, A to Z' },
  { value: 'name.desc', label: 'Name, Z to A' },
  { value: 'createdAt.desc', label: 'Newest first' },
  { value: 'createdAt.asc', label: 'Oldest first' },
  { value: 'updatedAt.desc', label: 'Recently updated' },
  { value: 'updatedAt.asc', label: 'Least recently updated' },
] as const;

export type SortValue = (typeof SORT_OPTIONS)[number]['value'];
export const DEFAULT_SORT: SortValue = 'name.asc';

export interface ContactsView {
  search: string;
  tag: string;
  sort: SortValue;
  /** The contact shown in the detail panel. */
  contact: string | null;
}

const isSort = (value: string | null): value is SortValue => SORT_OPTIONS.some((option) => option.value === value);

export function viewFromParams(params: URLSearchParams): ContactsView {
  const sort = params.get('sort');
  return {
    search: params.get('q') ?? '',
    tag: params.get('tag') ?? '',
    sort: isSort(sort) ? sort : DEFAULT_SORT,
    contact: params.get('contact') || null,
  };
}

/** Only what differs from the defaults, so the plain list stays at `/contacts`. */
export function paramsFromView(view: ContactsView): string {
  const params = new URLSearchParams();
  if (view.search.trim()) params.set('q', view.search.trim());
  if (view.tag.trim()) params.set('tag', view.tag.trim().toLowerCase());
  if (view.sort !== DEFAULT_SORT) params.set('sort', view.sort);
  if (view.contact) params.set('contact', view.contact);
  const query = params.toString();
  return query ? `?${query}` : '';
}

export function sortInput(sort: SortValue): { sort: 'name' | 'createdAt' | 'updatedAt'; direction: 'asc' | 'desc' } {
  const [key, direction] = sort.split('.') as ['name' | 'createdAt' | 'updatedAt', 'asc' | 'desc'];
  return { sort: key, direction };
}

/** The export link of the current filter: the same filters and order as the list. */
export function exportHref(view: ContactsView): string {
  const params = new URLSearchParams(sortInput(view.sort));
  if (view.search.trim()) params.set('search', view.search.trim());
  if (view.tag.trim()) params.set('tag', view.tag.trim().toLowerCase());
  return `/api/contacts/export.csv?${params}`;
}

/** The one tag separator of the app: the form, bulk tagging, CSV import and export. */
export const TAG_SEPARATOR = ',';

export function splitTags(text: string): string[] {
  return text
    .split(TAG_SEPARATOR)
    .map((tag) => tag.trim())
    .filter(Boolean);
}
