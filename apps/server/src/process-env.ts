/**
 * Environment the production process starts with. glibc's allocator reads it before any of our
 * code runs, so it cannot be set from inside: `pnpm start` sets it (package.json, with these
 * defaults), and whatever else starts production instances (`pnpm cluster`, the load benchmark)
 * merges it in. A test keeps package.json and this object in step.
 *
 * MALLOC_MMAP_THRESHOLD_: argon2 takes 19 MiB per hash. glibc's moving threshold serves every hash
 * after the first from the hashing thread's own arena and keeps it there, so each of libuv's four
 * threads ended up holding 19 MiB after a sign-in flood. A fixed 1 MiB threshold maps such blocks
 * and returns them at once (ADR 053); smaller allocations are unaffected.
 */
export const PRODUCTION_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '1048576' };
