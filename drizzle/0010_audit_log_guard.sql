-- Hand-written (drizzle cannot express triggers or functions): the audit log's guard (ADR 080).
--
-- 1. A trigger refuses UPDATE, DELETE and TRUNCATE on audit_log and audit_checkpoints, for every
--    role. The only exceptions are the two SECURITY DEFINER functions below, which set a
--    transaction-local flag the trigger checks, and which change only what they must.
-- 2. audit_prune(): removes entries up to a seq after writing the signed checkpoint the
--    application computed (HMAC needs the key, which never enters the database).
-- 3. audit_pseudonymise(): erasure replaces a user's id (and the addresses of their entries) by
--    pseudonyms; the chain's canonical form hashes ids as those same pseudonyms, so the chain
--    still verifies afterwards.
-- 7262021080 is the advisory lock key shared with the writer (features/audit/audit.service.ts).
-- In production, grant the application role only SELECT and INSERT on these tables and EXECUTE on
-- the functions (docs/operations.md).

CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_log' AND current_setting('bastion.audit_prune', true) = 'on' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_log' AND current_setting('bastion.audit_pseudonymise', true) = 'on'
     AND NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.actor_type = OLD.actor_type AND NEW.action = OLD.action
     AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id AND NEW.detail = OLD.detail
     AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
     AND (NEW.actor_id = OLD.actor_id OR NEW.actor_id LIKE 'pseudo:%')
     AND (NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id OR NEW.subject_id LIKE 'pseudo:%')
     AND (NEW.ip IS NOT DISTINCT FROM OLD.ip OR NEW.ip LIKE 'pseudo:%') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_prune(p_through_seq bigint, p_hash text, p_signature text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  newest bigint;
  removed bigint;
BEGIN
  -- The writers' lock: no entry is appended while the head of the chain moves.
  PERFORM pg_advisory_xact_lock(7262021080);
  SELECT max(seq) INTO newest FROM audit_log;
  IF newest IS NULL OR p_through_seq >= newest THEN
    RAISE EXCEPTION 'audit_prune: the newest entry is always kept';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = p_through_seq AND hash = p_hash) THEN
    RAISE EXCEPTION 'audit_prune: entry % does not have the given hash', p_through_seq;
  END IF;
  IF p_signature !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'audit_prune: the checkpoint signature must be an HMAC-SHA256 in hex';
  END IF;
  SELECT count(*) INTO removed FROM audit_log WHERE seq <= p_through_seq;
  INSERT INTO audit_checkpoints (through_seq, hash, signature, pruned) VALUES (p_through_seq, p_hash, p_signature, removed);
  PERFORM set_config('bastion.audit_prune', 'on', true);
  DELETE FROM audit_log WHERE seq <= p_through_seq;
  PERFORM set_config('bastion.audit_prune', 'off', true);
  RETURN removed;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_pseudonymise(p_id text, p_pseudonym text, p_ips text[], p_ip_pseudonyms text[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  changed bigint;
BEGIN
  IF p_pseudonym NOT LIKE 'pseudo:%' THEN
    RAISE EXCEPTION 'audit_pseudonymise: pseudonyms start with pseudo:';
  END IF;
  PERFORM set_config('bastion.audit_pseudonymise', 'on', true);
  UPDATE audit_log AS a SET
    actor_id = CASE WHEN a.actor_id = p_id THEN p_pseudonym ELSE a.actor_id END,
    subject_id = CASE WHEN a.subject_id = p_id THEN p_pseudonym ELSE a.subject_id END,
    ip = coalesce((SELECT m.pseudonym FROM unnest(p_ips, p_ip_pseudonyms) AS m(ip, pseudonym) WHERE m.ip = a.ip), a.ip)
  WHERE a.actor_id = p_id OR a.subject_id = p_id;
  GET DIAGNOSTICS changed = ROW_COUNT;
  PERFORM set_config('bastion.audit_pseudonymise', 'off', true);
  RETURN changed;
END $$;
