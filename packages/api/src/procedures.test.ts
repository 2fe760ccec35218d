import { describe, expect, it } from 'vitest';
import { appRouter } from './root.ts';

interface ProcedureDef {
  inputs: unknown[];
  output?: unknown;
  meta?: { access?: string };
}

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>);

describe('every procedure', () => {
  it('exists', () => {
    expect(procedures.length).toBeGreaterThan(5);
  });

  it.each(procedures)('%s declares an access level, a zod input and a zod output', (_path, procedure) => {
    expect(['public', 'authed', 'admin']).toContain(procedure._def.meta?.access);
    expect(procedure._def.inputs.length).toBeGreaterThan(0);
    expect(procedure._def.output).toBeDefined();
  });

  it('keeps the contract names', () => {
    expect(procedures.map(([path]) => path).sort()).toEqual(
      expect.arrayContaining(['auth.register', 'auth.login', 'auth.refresh', 'auth.logout', 'auth.me', 'health.ping',
        'contacts.create', 'contacts.get', 'contacts.update', 'contacts.delete', 'contacts.list', 'contacts.importMany', 'contacts.deleteMany',
        'preferences.get', 'preferences.update']),
    );
  });
});
