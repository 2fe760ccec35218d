/**
 * Environment the production process starts with. glibc's allocator reads it before any of our
 * code runs, so it cannot be set from inside: `pnpm start` sets it (package.json, with these
 * defaults), and whatever else starts production instances (`pnpm cluster`, the load benchmark)
 * merges it in. A test keeps package.json and this object in step.
 *
 * MALLOC_ARENA_MAX: argon2 takes 19 MiB per hash, and glibc serves it from the arena of the libuv
 * thread that hashes and keeps it there for the next hash. With one arena per thread (glibc's
 * default allows 8 per core) each of libuv's four threads ended up holding 19 MiB after a sign-in
 * flood; with two (the main thread's and one shared by every other thread) the blocks are reused
 * across threads, at no measurable CPU cost (ADR 053).
 */
export const PRODUCTION_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
