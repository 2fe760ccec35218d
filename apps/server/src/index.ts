export { startServer, type RunningServer, type StartOptions } from './server.ts';
