-- Substring search (ILIKE '%term%') over name, email and company needs a trigram index: a btree
-- cannot serve a leading wildcard. pg_trgm ships with PostgreSQL's contrib (and with the embedded
-- binaries). One GIN index over the three fields joined by U+001F, a character the API refuses in
-- input, so a match can never span two fields; the list query uses this exact expression.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_search_trgm_idx" ON "contacts"
  USING gin (("name" || E'\x1f' || coalesce("email", '') || E'\x1f' || coalesce("company", '')) gin_trgm_ops);
