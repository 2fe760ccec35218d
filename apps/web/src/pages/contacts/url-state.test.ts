import { describe, expect, it } from 'vitest';
import { exportHref, paramsFromView, sortInput, splitTags, viewFromParams } from './url-state.ts';

describe('contacts URL state', () => {
  it('round-trips filters, order and the open contact, omitting defaults', () => {
    const view = { search: ' ada ', tag: 'VIP', sort: 'createdAt.desc' as const, contact: '6f1c1d2e-6a9b-4f7e-9a51-0d3c2b1a0f99' };
    const query = paramsFromView(view);
    expect(query).toBe('?q=ada&tag=vip&sort=createdAt.desc&contact=6f1c1d2e-6a9b-4f7e-9a51-0d3c2b1a0f99');
    expect(viewFromParams(new URLSearchParams(query))).toEqual({ ...view, search: 'ada', tag: 'vip' });
    expect(paramsFromView({ search: '', tag: '', sort: 'name.asc', contact: null })).toBe('');
  });

  it('falls back to the default order for an unknown sort', () => {
    expect(viewFromParams(new URLSearchParams('sort=drop+table')).sort).toBe('name.asc');
  });

  it('maps to the API and the export link', () => {
    expect(sortInput('updatedAt.asc')).toEqual({ sort: 'updatedAt', direction: 'asc' });
    expect(exportHref({ search: '020 7946', tag: '', sort: 'name.desc', contact: 'x' })).toBe('/api/contacts/export.csv?sort=name&direction=desc&search=020+7946');
  });

  it('splits tags on commas only', () => {
    expect(splitTags(' a, b ,,c; d ')).toEqual(['a', 'b', 'c; d']);
  });
});
