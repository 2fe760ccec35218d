-- Rate-limit counters are cheap to lose and written on every call: no WAL for them (ADR 020).
-- A crash empties an unlogged table, so counters restart from zero after one.
ALTER TABLE "rate_limits" SET UNLOGGED;
