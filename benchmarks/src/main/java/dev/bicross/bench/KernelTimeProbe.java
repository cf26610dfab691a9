package dev.bicross.bench;

import dev.bicross.convert.DefaultModels;
import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.kernel.Epilogue;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.PackedWeights;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.kernel.VectorKernels;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a forward pass of all-MiniLM-L6-v2 spends its time, per kernel call type (each linear shape, attention,
 * layer norm; summed over the six layers), on 1 and on N threads, with the calls of the two settings alternating
 * (a drifting VM slows both alike). Also prints the scaling from 1 to N threads per kernel.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp benchmarks/target/benchmarks.jar dev.bicross.bench.KernelTimeProbe [SEQUENCES=32] [TOKENS=128] [CALLS=10] [THREADS=2]
 * </pre>
 * Token ids are random, every sequence TOKENS long; the first three calls of each setting are warm-up.
 */
public final class KernelTimeProbe {

    private KernelTimeProbe() {
    }

    /** {@link Kernels} that add each call's wall time to a per-kernel total. */
    private static final class Timed implements Kernels {
        private final Kernels base;
        final Map<String, long[]> nanos = new TreeMap<>();

        Timed(Kernels base) {
            this.base = base;
        }

        private void add(String kernel, long start) {
            nanos.computeIfAbsent(kernel, k -> new long[1])[0] += System.nanoTime() - start;
        }

        @Override
        public String name() {
            return base.name();
        }

        @Override
        public PackedWeights pack(float[] weight, int out, int in) {
            return base.pack(weight, out, in);
        }

        @Override
        public PackedWeights pack(float[] weight, int out, int in, Precision precision) {
            return base.pack(weight, out, in, precision);
        }

        @Override
        public void linear(float[] x, int rows, PackedWeights w, float[] bias, Epilogue epilogue, float[] y) {
            long start = System.nanoTime();
            base.linear(x, rows, w, bias, epilogue, y);
            add("linear " + w.in() + "->" + w.out() + (epilogue == Epilogue.NONE ? "" : " + " + epilogue), start);
        }

        @Override
        public void linearHeadMajor(float[] x, int rows, PackedWeights w, float[] bias, int headDim, float[] y) {
            long start = System.nanoTime();
            base.linearHeadMajor(x, rows, w, bias, headDim, y);
            add("linear " + w.in() + "->" + w.out(), start);
        }

        @Override
        public void addLayerNorm(float[] x, float[] residual, int rows, int dim, float[] gamma, float[] beta,
                                 float eps) {
            long start = System.nanoTime();
            base.addLayerNorm(x, residual, rows, dim, gamma, beta, eps);
            add("layer norm", start);
        }

        @Override
        public void attention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
            long start = System.nanoTime();
            base.attention(qkv, seqOffsets, heads, headDim, out);
            add("attention", start);
        }

        @Override
        public void attentionFirstTokens(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
            long start = System.nanoTime();
            base.attentionFirstTokens(qkv, seqOffsets, heads, headDim, out);
            add("attention", start);
        }
    }

    public static void main(String[] args) throws Exception {
        int sequences = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int warmup = 3;
        Timed one = new Timed(new VectorKernels(1));
        Timed many = new Timed(new VectorKernels(threads));
        BertModel modelOne = BertModel.load(DefaultModels.biEncoder(), one);
        BertModel modelMany = BertModel.load(DefaultModels.biEncoder(), many);
        int[] ids = EngineAB.randomTokenIds(sequences * tokens);
        int[] offsets = EngineAB.equalLengthOffsets(sequences, tokens);
        PackedBatch batch = new PackedBatch(ids, new int[ids.length], offsets);
        long totalOne = 0;
        long totalMany = 0;
        for (int call = 0; call < warmup + calls; call++) {
            if (call == warmup) {
                one.nanos.clear();
                many.nanos.clear();
                totalOne = 0;
                totalMany = 0;
            }
            long start = System.nanoTime();
            modelOne.forward(batch);
            totalOne += System.nanoTime() - start;
            Thread.sleep(20);
            start = System.nanoTime();
            modelMany.forward(batch);
            totalMany += System.nanoTime() - start;
            Thread.sleep(20);
        }
        System.out.printf(Locale.ROOT, "%d × %d tokens, %d calls per setting, ms per forward pass; load average %.2f%n",
                sequences, tokens, calls,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "%-28s %10s %6s %10s %6s %8s%n", "kernel", "1 thread", "share",
                threads + " threads", "share", "scaling");
        for (String kernel : one.nanos.keySet()) {
            double msOne = one.nanos.get(kernel)[0] / 1e6 / calls;
            double msMany = many.nanos.get(kernel)[0] / 1e6 / calls;
            System.out.printf(Locale.ROOT, "%-28s %10.1f %5.1f%% %10.1f %5.1f%% %7.2f×%n", kernel, msOne,
                    100 * msOne / (totalOne / 1e6 / calls), msMany, 100 * msMany / (totalMany / 1e6 / calls),
                    msOne / msMany);
        }
        System.out.printf(Locale.ROOT, "%-28s %10.1f %6s %10.1f %6s %7.2f×%n", "whole forward pass",
                totalOne / 1e6 / calls, "", totalMany / 1e6 / calls, "", (double) totalOne / totalMany);
    }
}
