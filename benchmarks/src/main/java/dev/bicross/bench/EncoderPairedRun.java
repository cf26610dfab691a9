package dev.bicross.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * bicross against ONNX Runtime with the calls interleaved: {@link EncoderBenchmark}'s work (the same model, token
 * ids and post-processing), but one call of ours, one of ONNX Runtime's, and so on, swapping who goes first in
 * every pair. On this VM the FMA throughput of a core drifts between about 48 and 80 GFLOP/s from one second to
 * the next (the host, not the JVM: a register-only FMA loop shows it), so a JMH run, which measures one benchmark
 * after the other, can hand either side a slow stretch. Here both sides see the same stretches, and the per-pair
 * ratio cancels the drift.
 *
 * Every timed call starts after a pause of GAP milliseconds (default 50): ONNX Runtime's intra-op threads spin for
 * about 20 ms after a call (40 ms of CPU time on 2 threads, measured here), and without the pause they would take
 * the cores from whichever call comes next (on this machine that halved our query speed). A pause is also how
 * queries arrive in real use.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp benchmarks/target/benchmarks.jar dev.bicross.bench.EncoderPairedRun \
 *      [passage-pairs=40] [query-pairs=400] [threads=2] [gap-ms=50] [rerank-pairs=20]
 * </pre>
 * Prints, for the 32 × 128-token passage batches, the 10-token query and {@link CrossEncoderBenchmark}'s
 * re-ranking of 100 candidates (its own threads setting): each side's median time per call and tokens/s (docs/s), and the median and quartiles of the per-pair ratio (ONNX Runtime's time / ours, so above 1 means we
 * are faster).
 *
 * <p>With {@code -Dbicross.paired.peak=true}, every passage pair also runs {@link FmaPeakBenchmark}'s register-only
 * FMA loop on the same number of threads for about as long as a call, and prints each side's model arithmetic
 * (the linears' and attention's multiply-adds, {@link #passageFlops}) as a share of that pair's peak: how close to
 * the machine's ceiling each engine runs, and so how much room a faster engine has at all.
 */
public final class EncoderPairedRun {

    private EncoderPairedRun() {
    }

    public static void main(String[] args) throws Exception {
        int passagePairs = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int queryPairs = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        EncoderBenchmark bench = new EncoderBenchmark();
        bench.threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int gapMillis = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        PeakBurst peak = Boolean.getBoolean("bicross.paired.peak") ? new PeakBurst(bench.threads) : null;
        bench.setUp();
        try {
            compare("passages, batches of 32 x 128 tokens", EncoderBenchmark.BATCH * EncoderBenchmark.PASSAGE_TOKENS,
                    "tokens", passagePairs, gapMillis, bench::bicrossPassagesIds, bench::ortPassagesIds,
                    peak, passageFlops());
            compare("query, 1 x 10 tokens", EncoderBenchmark.QUERY_TOKENS, "tokens", queryPairs, gapMillis,
                    bench::bicrossQueryIds, bench::ortQueryIds, null, 0);
        } finally {
            if (peak != null) {
                peak.close();
            }
            bench.tearDown();
        }
        int rerankPairs = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        if (rerankPairs > 0) {
            CrossEncoderBenchmark rerank = new CrossEncoderBenchmark();
            rerank.setUp();
            try {
                compare("cross-encoder re-ranking, " + CrossEncoderBenchmark.CANDIDATES + " candidates",
                        CrossEncoderBenchmark.CANDIDATES, "docs", rerankPairs, gapMillis, rerank::bicrossRerankIds,
                        rerank::ortRerankIds, null, 0);
            } finally {
                rerank.tearDown();
            }
        }
    }

    /**
     * Floating-point operations of one passage call (32 × 128 tokens of all-MiniLM-L6-v2, 6 layers, hidden 384,
     * intermediate 1536): per token and layer 2·(4·384² + 2·384·1536) in the linears and 2·2·128·384 in attention's
     * two products. Embeddings, layer norms, softmax, GELU and pooling are left out, so this is a lower bound.
     */
    static double passageFlops() {
        double hidden = 384;
        double perTokenLayer = 2 * (4 * hidden * hidden + 2 * hidden * 1536)
                + 2 * 2 * EncoderBenchmark.PASSAGE_TOKENS * hidden;
        return perTokenLayer * 6 * EncoderBenchmark.BATCH * EncoderBenchmark.PASSAGE_TOKENS;
    }

    private static void compare(String what, int unitsPerCall, String unit, int pairs, int gapMillis,
                                Callable<?> ours, Callable<?> peer, PeakBurst peak, double flopsPerCall)
            throws Exception {
        if (pairs <= 0) {
            return;
        }
        int warmup = Math.max(3, pairs / 10);
        for (int i = 0; i < warmup; i++) {
            ours.call();
            peer.call();
            if (peak != null) {
                peak.flopsPerSecond(1e8);
            }
        }
        double[] oursNanos = new double[pairs];
        double[] peerNanos = new double[pairs];
        double[] ratios = new double[pairs];
        double[] peakFlops = new double[pairs];
        double[] oursShare = new double[pairs];
        double[] peerShare = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            if (p % 2 == 0) {
                oursNanos[p] = time(ours, gapMillis);
                peerNanos[p] = time(peer, gapMillis);
            } else {
                peerNanos[p] = time(peer, gapMillis);
                oursNanos[p] = time(ours, gapMillis);
            }
            ratios[p] = peerNanos[p] / oursNanos[p];
            if (peak != null) {
                Thread.sleep(gapMillis);
                peakFlops[p] = peak.flopsPerSecond(Math.min(oursNanos[p], peerNanos[p]));
                oursShare[p] = flopsPerCall / (oursNanos[p] / 1e9) / peakFlops[p];
                peerShare[p] = flopsPerCall / (peerNanos[p] / 1e9) / peakFlops[p];
            }
        }
        double oursMedian = quantile(oursNanos, 0.5);
        double peerMedian = quantile(peerNanos, 0.5);
        System.out.printf(Locale.ROOT, "%n%s, %d interleaved pairs, %d ms pause before each call%n", what, pairs, gapMillis);
        System.out.printf(Locale.ROOT, "  bicross       median %9.3f ms/call  %8.1f %s/s  (quartiles %.3f-%.3f ms)%n",
                oursMedian / 1e6, unitsPerCall / (oursMedian / 1e9), unit, quantile(oursNanos, 0.25) / 1e6,
                quantile(oursNanos, 0.75) / 1e6);
        System.out.printf(Locale.ROOT, "  ONNX Runtime  median %9.3f ms/call  %8.1f %s/s  (quartiles %.3f-%.3f ms)%n",
                peerMedian / 1e6, unitsPerCall / (peerMedian / 1e9), unit, quantile(peerNanos, 0.25) / 1e6,
                quantile(peerNanos, 0.75) / 1e6);
        System.out.printf(Locale.ROOT, "  per-pair speed ratio bicross/ORT: median %.3f (quartiles %.3f-%.3f), "
                        + "ours faster in %d of %d pairs; p90 latency ratio %.3f%n",
                quantile(ratios, 0.5), quantile(ratios, 0.25), quantile(ratios, 0.75),
                Arrays.stream(ratios).filter(r -> r > 1).count(), pairs,
                quantile(peerNanos, 0.9) / quantile(oursNanos, 0.9));
        if (peak != null) {
            System.out.printf(Locale.ROOT, "  FMA peak on %d threads after each pair: median %.1f GFLOP/s "
                            + "(quartiles %.1f-%.1f); model arithmetic %.1f GFLOP per call%n", peak.threads,
                    quantile(peakFlops, 0.5) / 1e9, quantile(peakFlops, 0.25) / 1e9, quantile(peakFlops, 0.75) / 1e9,
                    flopsPerCall / 1e9);
            System.out.printf(Locale.ROOT, "  share of that pair's peak: bicross median %.1f%% (quartiles %.1f-%.1f%%), "
                            + "ONNX Runtime %.1f%% (%.1f-%.1f%%)%n",
                    100 * quantile(oursShare, 0.5), 100 * quantile(oursShare, 0.25), 100 * quantile(oursShare, 0.75),
                    100 * quantile(peerShare, 0.5), 100 * quantile(peerShare, 0.25), 100 * quantile(peerShare, 0.75));
        }
    }

    /** {@link FmaPeakBenchmark}'s loop on a fixed set of threads at once: the machine's FP32 FMA ceiling now. */
    private static final class PeakBurst implements AutoCloseable {
        private final int threads;
        private final ExecutorService pool;
        private final FmaPeakBenchmark[] loops;
        private int callsPerThread = 64;
        private volatile float sink;

        PeakBurst(int threads) {
            this.threads = threads;
            this.pool = Executors.newFixedThreadPool(threads);
            this.loops = new FmaPeakBenchmark[threads];
            for (int t = 0; t < threads; t++) {
                loops[t] = new FmaPeakBenchmark();
            }
        }

        /** Runs the loop on every thread for about {@code targetNanos} of wall time; FLOP per second overall. */
        double flopsPerSecond(double targetNanos) throws Exception {
            int calls = callsPerThread;
            Future<?>[] futures = new Future<?>[threads];
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                FmaPeakBenchmark loop = loops[t];
                futures[t] = pool.submit(() -> {
                    float s = 0;
                    for (int i = 0; i < calls; i++) {
                        s += loop.fmaChains();
                    }
                    sink += s;
                });
            }
            for (Future<?> f : futures) {
                f.get();
            }
            long nanos = System.nanoTime() - start;
            callsPerThread = (int) Math.max(8, Math.min(1 << 20, calls * targetNanos / nanos));
            double flops = (double) threads * calls * FmaPeakBenchmark.operationsPerCall()
                    * FmaPeakBenchmark.lanes() * 2;
            return flops / (nanos / 1e9);
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    private static double time(Callable<?> call, int gapMillis) throws Exception {
        Thread.sleep(gapMillis);
        long start = System.nanoTime();
        Object result = call.call();
        long nanos = System.nanoTime() - start;
        if (result == null) {
            throw new IllegalStateException("no result");
        }
        return nanos;
    }

    private static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
    }
}
