-- Search also matches phone numbers by their digits ("020 7946" finds "+44 (20) 7946-0000"): the
-- document gains a fourth field, the phone's digits, after another U+001F. The list query uses
-- this exact expression, or the index is not used.
DROP INDEX IF EXISTS "contacts_search_trgm_idx";
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_search_trgm_idx" ON "contacts"
  USING gin (("name" || E'\x1f' || coalesce("email", '') || E'\x1f' || coalesce("company", '') || E'\x1f' || regexp_replace(coalesce("phone", ''), '[^0-9]', '', 'g')) gin_trgm_ops);
