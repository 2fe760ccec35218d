import { revocationAcrossInstances } from './revocation.scenario.ts';

revocationAcrossInstances('revocation over PostgreSQL LISTEN/NOTIFY', {});
