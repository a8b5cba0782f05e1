// How to start Node for a process that runs the engine (a worker, the engine benchmark).

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

/** The engine flags this process was started without. */
export function missingEngineFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return ENGINE_NODE_FLAGS.filter((f) => !execArgv.includes(f));
}
