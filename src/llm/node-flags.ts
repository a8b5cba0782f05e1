// How to start Node for a process that runs the engine (a worker, the engine benchmark): its
// command-line flags and its malloc settings.

/**
 * V8 collects garbage on helper threads by default (concurrent marking, parallel scavenges,
 * background sweeping). A run of the engine allocates its results as ArrayBuffers,
 * onnxruntime-node copying every output into a new one (57 MB for a 64-token full activation
 * cache of GPT-2-small, 270 MB at 256 tokens), and that much external memory starts a collection
 * every few blocks. On a machine with as many cores as onnxruntime has intra-op threads, a GC
 * helper then takes a core in the middle of a MatMul, whose other half waits for it: in
 * onnxruntime's profiler the same block's MatMuls took 1.5 ms or 3.1 ms, as if single-threaded.
 * With --single-threaded-gc V8 collects on the thread that runs JavaScript, which is between
 * sessions, while onnxruntime is idle (measured in pairs of processes: a full cache 1.42–1.65 →
 * 1.21–1.50× logits-only at 64 tokens, 1.40–1.51 → 1.12–1.25× at 256; logits-only unchanged).
 * V8 then marks only when JavaScript allocates, so the engine collects before long runs itself
 * (engine.ts, COLLECT_BEFORE_BYTES).
 *
 * It is a V8 flag: NODE_OPTIONS refuses it and v8.setFlagsFromString at run time aborts the
 * process at the next collection, so entry points pass it on the command line (package.json's
 * `worker` script, docker-compose.yml, src/start.ts, the benchmarks).
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

/**
 * glibc's malloc settings for a process that runs the engine. onnxruntime-node copies every
 * output of a run into a new ArrayBuffer, so a 1024-token full activation cache of GPT-2-small is
 * 2.3 GB of new memory per run, half of it 50 MB attention tensors. By default glibc serves any
 * allocation over 32 MiB with a fresh mapping and unmaps it on free, so every run faulted in every
 * page of its results again, and on a VM a page fault is dear. Here:
 * - `mmap_max=0` serves every allocation from malloc's heap;
 * - `trim_threshold` 4 GiB keeps up to that much freed memory there, so the next run's results
 *   land in pages the last one's left (a freed run over 4 GiB still goes back to the OS);
 * - `arena_max=1` puts every thread on that one heap: the engine runs in a worker thread
 *   (src/queue/analysis-thread.ts), whose own arena would map a 64 MiB heap per 50 MB tensor and
 *   unmap it when empty, whatever the trim threshold.
 * Measured on GPT-2-small at 1024 tokens, alternating with logits-only in one process: the full
 * cache 2146-2502 -> 1111-1191 ms (1.7-2.7x -> 1.25-1.36x logits-only), in the main thread and
 * in a worker thread alike; copying 2.3 GB into new ArrayBuffers 850-1320 -> 170-195 ms.
 * Logits-only did not get slower. The cost is resting memory: a worker keeps what its largest run
 * freed (30 mixed runs: 11-12 % faster, resting at 2.3-2.5 instead of 2.1-2.2 GB).
 * glibc reads GLIBC_TUNABLES when the process starts, so entry points put it in the worker's
 * environment (engineEnv); one already set, even to '', is left as it is.
 */
export const ENGINE_MALLOC_TUNABLES = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296:glibc.malloc.arena_max=1';

/** The environment for a process that runs the engine: `env`, with ENGINE_MALLOC_TUNABLES unless it sets GLIBC_TUNABLES itself. */
export function engineEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env.GLIBC_TUNABLES === undefined ? { ...env, GLIBC_TUNABLES: ENGINE_MALLOC_TUNABLES } : { ...env };
}

/** The engine flags, and the malloc setting, this process was started without. */
export function missingEngineFlags(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): string[] {
  const missing = ENGINE_NODE_FLAGS.filter((f) => !execArgv.includes(f));
  if (env.GLIBC_TUNABLES === undefined) missing.push(`GLIBC_TUNABLES=${ENGINE_MALLOC_TUNABLES}`);
  return missing;
}
