-- Substring search over name, email and company (ILIKE '%term%') needs trigram indexes: a btree
-- cannot serve a leading wildcard. pg_trgm ships with PostgreSQL's contrib (and with the embedded
-- binaries). The three indexes combine with a BitmapOr for `name ILIKE p OR email ILIKE p OR company ILIKE p`.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_name_trgm_idx" ON "contacts" USING gin ("name" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_email_trgm_idx" ON "contacts" USING gin ("email" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_company_trgm_idx" ON "contacts" USING gin ("company" gin_trgm_ops);
