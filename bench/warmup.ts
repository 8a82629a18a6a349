// How many requests a path gets before it is measured (bench/main.ts, bench/outside-check.ts): enough for V8 to
// have optimised the gateway's hot path, so that the figures are those of a gateway in its working life.
//
// - With a few dozen, a fresh gateway's first figures include its JIT compiling (on V8's helper threads, which
//   count in its CPU): its 1-stream row measured 4.7-5.9 ms per 76 KB request after 20 warm-up requests, 3.2 ms
//   after 400 and 2.1 ms after 1,500 (the ceiling proxy: 0.8 and 0.6 ms).
// - 1,500 was not enough either. The launcher starts TurboFan at 1,000 calls, and at request ~1,000 about 230
//   once-a-request functions (validation, translation, routing, accounting) are marked at once. V8's queue of
//   concurrent compile jobs holds 8 (--concurrent-recompilation-queue-length); the rest are marked again ~800
//   requests later, 8 more get in, and so on (--trace-opt: toResponsesRequest and validateMessagesRequest
//   optimised at request 3,400-4,200, the accounting's functions at ~5,000). Measured in windows of 2,500
//   requests at 16 streams, the gateway spent 0.77-0.84 ms of CPU a request after 1,500 and 0.57-0.68 after
//   6,500.
// - --quick shortens the measured runs, not this: after 300 warm-up requests a quick run measured a gateway still
//   unoptimised (2.07-2.53 ms a request at 16 streams, against 1.27-1.47 after 1,500 in the same minutes).
//
// BENCH_WARMUP overrides it.
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 6000);
