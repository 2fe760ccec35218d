import { z } from 'zod';
import { authedProcedure, router } from '../../trpc.ts';
import { contactCreateInput, contactIdInput, contactOutput, contactUpdateInput, deleteManyInput, deleteManyOutput } from './contact.schema.ts';
import { importManyInput, importManyOutput } from './import-many.schema.ts';
import { listInput, listOutput } from './list.schema.ts';
import { createContact, deleteContact, deleteContacts, getContact, importContacts, listContacts, updateContact } from './service.ts';

/** A user's contacts. Every statement is scoped to the caller; another user's id is NOT_FOUND. */
export const contactsRouter = router({
  create: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['contacts:write'], openapi: { method: 'POST', path: '/contacts', tags: ['contacts'], summary: 'Create a contact' } })
    .input(contactCreateInput)
    .output(contactOutput)
    .mutation(({ ctx, input }) => createContact(ctx, input)),

  get: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['contacts:read'], openapi: { method: 'GET', path: '/contacts/{id}', tags: ['contacts'], summary: 'Get a contact' } })
    .input(contactIdInput)
    .output(contactOutput)
    .query(({ ctx, input }) => getContact(ctx, input.id)),

  update: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['contacts:write'], openapi: { method: 'PATCH', path: '/contacts/{id}', tags: ['contacts'], summary: 'Change a contact (only the fields sent)' } })
    .input(contactUpdateInput)
    .output(contactOutput)
    .mutation(({ ctx, input }) => updateContact(ctx, input)),

  delete: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['contacts:write'], openapi: { method: 'DELETE', path: '/contacts/{id}', tags: ['contacts'], summary: 'Delete a contact' } })
    .input(contactIdInput)
    .output(z.object({ success: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteContact(ctx, input.id);
      return { success: true as const };
    }),

  list: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['contacts:read'], openapi: { method: 'GET', path: '/contacts', tags: ['contacts'], summary: 'List or search contacts, a page at a time' } })
    .input(listInput)
    .output(listOutput)
    .query(({ ctx, input }) => listContacts(ctx, input)),

  importMany: authedProcedure
    .meta({ rateLimit: 'user.bulk', scopes: ['contacts:write'], openapi: { method: 'POST', path: '/contacts/import', tags: ['contacts'], summary: 'Import up to 1000 contacts; each row is reported' } })
    .input(importManyInput)
    .output(importManyOutput)
    .mutation(async ({ ctx, input }) => {
      const results = await importContacts(ctx, input.contacts);
      const count = (status: string) => results.filter((result) => result.status === status).length;
      ctx.log.info({ created: count('created'), rows: results.length }, 'contacts imported');
      return { created: count('created'), duplicates: count('duplicate'), invalid: count('invalid'), results };
    }),

  deleteMany: authedProcedure
    .meta({ rateLimit: 'user.bulk', scopes: ['contacts:write'], openapi: { method: 'POST', path: '/contacts/delete-many', tags: ['contacts'], summary: 'Delete up to 1000 contacts by id' } })
    .input(deleteManyInput)
    .output(deleteManyOutput)
    .mutation(async ({ ctx, input }) => ({ deleted: await deleteContacts(ctx, input.ids) })),
});
