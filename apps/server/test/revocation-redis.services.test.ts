import { revocationAcrossInstances } from './revocation.scenario.ts';

revocationAcrossInstances('revocation over Redis pub/sub', { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
