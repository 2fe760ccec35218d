import { createHash, createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'rt_';

/** A new opaque refresh token: 256 random bits. */
export function newRefreshToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The child that replaces `parent` on rotation. Deriving it (rather than drawing it at random) lets
 * a parent presented again inside the grace window get the very same child back, although only
 * hashes are stored.
 */
export function childRefreshToken(secret: Buffer, parent: string): string {
  return PREFIX + createHmac('sha256', secret).update(parent).digest('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function looksLikeRefreshToken(token: string): boolean {
  return /^rt_[A-Za-z0-9_-]{43}$/.test(token);
}
