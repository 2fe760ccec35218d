export { startServer, type RunningServer, type StartOptions } from './server.ts';
export { exitOnSignal, loadConfigOrExit, tuneHeap } from './process.ts';
