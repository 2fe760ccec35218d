import { z } from 'zod';
import { authedProcedure, router } from '../../trpc.ts';
import {
  contactCreateInput,
  contactIdInput,
  contactOutput,
  contactUpdateInput,
  deleteManyInput,
  deleteManyOutput,
  tagManyInput,
  tagManyOutput,
} from './contact.schema.ts';
import { historyInput, historyOutput } from './history.schema.ts';
import { importManyInput, importManyOutput, previewImportOutput, undoImportInput, undoImportOutput } from './import-many.schema.ts';
import { listInput, listOutput } from './list.schema.ts';
import {
  contactHistory,
  createContact,
  deleteContact,
  deleteContacts,
  getContact,
  importContacts,
  listContacts,
  previewImport,
  tagContacts,
  undoImport,
  updateContact,
} from './service.ts';

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
      const { importId, results } = await importContacts(ctx, input.contacts);
      const count = (status: string) => results.filter((result) => result.status === status).length;
      ctx.log.info({ created: count('created'), rows: results.length, importId }, 'contacts imported');
      return { importId, created: count('created'), duplicates: count('duplicate'), invalid: count('invalid'), results };
    }),

  previewImport: authedProcedure
    .meta({ rateLimit: 'user.bulk', scopes: ['contacts:read'], openapi: { method: 'POST', path: '/contacts/import/preview', tags: ['contacts'], summary: 'What an import of these rows would do; writes nothing' } })
    .input(importManyInput)
    .output(previewImportOutput)
    .mutation(async ({ ctx, input }) => {
      const results = await previewImport(ctx, input.contacts);
      const count = (status: string) => results.filter((result) => result.status === status).length;
      return { new: count('new'), duplicates: count('duplicate'), invalid: count('invalid'), results };
    }),

  undoImport: authedProcedure
    .meta({ rateLimit: 'user.bulk', scopes: ['contacts:write'], openapi: { method: 'POST', path: '/contacts/import/{importId}/undo', tags: ['contacts'], summary: 'Delete the unchanged contacts of an import, within 10 minutes' } })
    .input(undoImportInput)
    .output(undoImportOutput)
    .mutation(({ ctx, input }) => undoImport(ctx, input.importId)),

  tagMany: authedProcedure
    .meta({ rateLimit: 'user.bulk', scopes: ['contacts:write'], openapi: { method: 'POST', path: '/contacts/tag-many', tags: ['contacts'], summary: 'Add or remove tags on up to 1000 contacts' } })
    .input(tagManyInput)
    .output(tagManyOutput)
    .mutation(({ ctx, input }) => tagContacts(ctx, input)),

  history: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['contacts:read'], openapi: { method: 'GET', path: '/contacts/{id}/history', tags: ['contacts'], summary: "A contact's latest changes" } })
    .input(historyInput)
    .output(historyOutput)
    .query(async ({ ctx, input }) => ({ items: await contactHistory(ctx, input.id, input.limit) })),

  deleteMany: authedProcedure
    .meta({ rateLimit: 'user.bulk', scopes: ['contacts:write'], openapi: { method: 'POST', path: '/contacts/delete-many', tags: ['contacts'], summary: 'Delete up to 1000 contacts by id' } })
    .input(deleteManyInput)
    .output(deleteManyOutput)
    .mutation(async ({ ctx, input }) => ({ deleted: await deleteContacts(ctx, input.ids) })),
});
