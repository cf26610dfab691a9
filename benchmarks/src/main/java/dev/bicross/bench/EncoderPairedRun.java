package dev.bicross.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

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
        bench.setUp();
        try {
            compare("passages, batches of 32 x 128 tokens", EncoderBenchmark.BATCH * EncoderBenchmark.PASSAGE_TOKENS,
                    "tokens", passagePairs, gapMillis, bench::bicrossPassagesIds, bench::ortPassagesIds);
            compare("query, 1 x 10 tokens", EncoderBenchmark.QUERY_TOKENS, "tokens", queryPairs, gapMillis,
                    bench::bicrossQueryIds, bench::ortQueryIds);
        } finally {
            bench.tearDown();
        }
        int rerankPairs = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        if (rerankPairs > 0) {
            CrossEncoderBenchmark rerank = new CrossEncoderBenchmark();
            rerank.setUp();
            try {
                compare("cross-encoder re-ranking, " + CrossEncoderBenchmark.CANDIDATES + " candidates",
                        CrossEncoderBenchmark.CANDIDATES, "docs", rerankPairs, gapMillis, rerank::bicrossRerankIds,
                        rerank::ortRerankIds);
            } finally {
                rerank.tearDown();
            }
        }
    }

    private static void compare(String what, int unitsPerCall, String unit, int pairs, int gapMillis,
                                Callable<?> ours, Callable<?> peer)
            throws Exception {
        if (pairs <= 0) {
            return;
        }
        int warmup = Math.max(3, pairs / 10);
        for (int i = 0; i < warmup; i++) {
            ours.call();
            peer.call();
        }
        double[] oursNanos = new double[pairs];
        double[] peerNanos = new double[pairs];
        double[] ratios = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            if (p % 2 == 0) {
                oursNanos[p] = time(ours, gapMillis);
                peerNanos[p] = time(peer, gapMillis);
            } else {
                peerNanos[p] = time(peer, gapMillis);
                oursNanos[p] = time(ours, gapMillis);
            }
            ratios[p] = peerNanos[p] / oursNanos[p];
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
