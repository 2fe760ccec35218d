import { createHash, createHmac } from 'node:crypto';
import { deriveKey } from '../../lib/crypto/derive-key.ts';

/** The `prev_hash` of the first entry ever written. */
export const GENESIS_HASH = '0'.repeat(64);

export const PSEUDONYM_PREFIX = 'pseudo:';

/** The fields of an audit row that its hash covers (all but the hashes themselves). */
export interface AuditRowContent {
  seq: number;
  at: Date;
  actorType: 'user' | 'system';
  actorId: string;
  action: string;
  subjectId: string | null;
  requestId: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

const pseudonymKey = (checkpointKey: Buffer) => deriveKey(checkpointKey, 'bastion audit pseudonym v1');

/**
 * The stable pseudonym of a user id or an address: HMAC-SHA256 under a key derived from
 * AUDIT_CHECKPOINT_KEY, so nobody without the key can link it back, and the same person always
 * gets the same pseudonym (entries about them still group together after erasure).
 */
export function pseudonymOf(checkpointKey: Buffer, kind: 'id' | 'ip', value: string): string {
  if (value.startsWith(PSEUDONYM_PREFIX)) return value;
  return PSEUDONYM_PREFIX + createHmac('sha256', pseudonymKey(checkpointKey)).update(`${kind}:${value}`).digest('hex').slice(0, 32);
}

/** JSON with object keys sorted at every depth: one byte string per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The canonical form of a row. Personal identifiers (user ids, addresses) enter it as their
 * pseudonyms, so erasure can replace them in the table (audit_pseudonymise) without changing any
 * hash: the chain proves the entries were not altered, and stops naming the person.
 */
export function canonicalRow(checkpointKey: Buffer, row: AuditRowContent): string {
  return canonicalJson({
    seq: row.seq,
    at: row.at.toISOString(),
    actorType: row.actorType,
    actorId: row.actorType === 'user' ? pseudonymOf(checkpointKey, 'id', row.actorId) : row.actorId,
    action: row.action,
    subjectId: row.subjectId === null ? null : pseudonymOf(checkpointKey, 'id', row.subjectId),
    requestId: row.requestId,
    ip: row.ip === null ? null : pseudonymOf(checkpointKey, 'ip', row.ip),
    detail: row.detail,
  });
}

/** `hash = SHA-256(prev_hash || canonical(row))`, hex. */
export function chainHash(checkpointKey: Buffer, prevHash: string, row: AuditRowContent): string {
  return createHash('sha256').update(prevHash).update(canonicalRow(checkpointKey, row)).digest('hex');
}

/** A pruning checkpoint's signature: HMAC over the last pruned entry's seq and hash. */
export function checkpointSignature(checkpointKey: Buffer, throughSeq: number, hash: string): string {
  return createHmac('sha256', deriveKey(checkpointKey, 'bastion audit checkpoint v1')).update(`${throughSeq}:${hash}`).digest('hex');
}
