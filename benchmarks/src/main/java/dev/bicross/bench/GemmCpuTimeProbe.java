package dev.bicross.bench;

import dev.bicross.engine.kernel.Epilogue;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.PackedWeights;
import dev.bicross.engine.kernel.ScalarKernels;
import dev.bicross.engine.kernel.VectorKernels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * GEMM efficiency on a shared machine: GFLOP per CPU-second of the measuring thread (single-threaded kernels),
 * next to the FMA peak measured the same way ({@link FmaPeakBenchmark}'s loop), so time lost to other processes
 * does not count against the kernel. Each GEMM call is followed by peak loops of about the same length and the
 * efficiency is the median of the per-pair ratios: on this VM even the register-only peak loop drifts between
 * about 48 and 80 GFLOP/s from one second to the next, so a best-of-N peak taken at another moment says little. JMH's
 * {@link GemmBenchmark} gives wall-clock figures and the 2-thread scaling when the machine is quiet.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.bicross.bench.GemmCpuTimeProbe [rows=4096] [reps=15]}; {@code -Dshapes=384x1536,384x1536+GELU} picks
 * the shapes (IN x OUT, "+GELU" for the activation epilogue).
 */
public final class GemmCpuTimeProbe {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private GemmCpuTimeProbe() {
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        FmaPeakBenchmark peakLoop = new FmaPeakBenchmark();
        for (int r = 0; r < 5000; r++) { // long enough for C2
            sink += peakLoop.fmaChains();
        }
        Kernels vector = new VectorKernels(1);
        Kernels scalar = new ScalarKernels();
        // one untimed round over every shape first, so that the first shape's figure does not include the JIT
        for (String shape : SHAPES) {
            measure(vector, peakLoop, rows, shape, 3);
        }
        System.out.printf("GEMM calls alternate with FMA-peak loops of similar length (%d-bit vectors, 1 core); "
                + "GFLOP per CPU-second, medians; %% of peak = median of the per-pair ratios%n",
                FmaPeakBenchmark.lanes() * 32);
        for (String shape : SHAPES) {
            double[] m = measure(vector, peakLoop, rows, shape, reps);
            double s = gflops(scalar, Math.min(rows, 256), shape, 2);
            System.out.printf(Locale.ROOT, "linear %s rows=%d: %s %.1f GFLOP/s, peak %.1f, %.0f%% of peak "
                            + "(quartiles %.0f–%.0f%%); scalar %.2f GFLOP/s (%d rows), vector/scalar %.0fx%n",
                    shape, rows, vector.name(), m[0], m[1], 100 * m[2], 100 * m[3], 100 * m[4], s,
                    Math.min(rows, 256), m[0] / s);
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static final String[] SHAPES =
            System.getProperty("shapes", "384x384,384x1152,384x1536+GELU,1536x384").split(",");
    private static float sink;

    /** {median GEMM GFLOP/s, median peak GFLOP/s, median ratio, its lower and upper quartile}. */
    private static double[] measure(Kernels kernels, FmaPeakBenchmark peakLoop, int rows, String shape, int reps) {
        Problem problem = new Problem(kernels, rows, shape);
        double peakFlopsPerCall = (double) FmaPeakBenchmark.operationsPerCall() * FmaPeakBenchmark.lanes() * 2;
        double[] gemm = new double[reps];
        double[] peak = new double[reps];
        double[] ratio = new double[reps];
        for (int r = 0; r < reps; r++) {
            long start = THREADS.getCurrentThreadCpuTime();
            problem.run();
            long gemmNanos = THREADS.getCurrentThreadCpuTime() - start;
            // about as long as the GEMM call, so both see the same stretch of this VM's drifting speed
            int calls = (int) Math.max(1, Math.min(100_000, gemmNanos * peakRateGuess / peakFlopsPerCall));
            start = THREADS.getCurrentThreadCpuTime();
            for (int c = 0; c < calls; c++) {
                sink += peakLoop.fmaChains();
            }
            long peakNanos = THREADS.getCurrentThreadCpuTime() - start;
            gemm[r] = problem.flops / gemmNanos;
            peak[r] = calls * peakFlopsPerCall / peakNanos;
            peakRateGuess = peak[r];
            ratio[r] = gemm[r] / peak[r];
        }
        return new double[] {quantile(gemm, 0.5), quantile(peak, 0.5), quantile(ratio, 0.5), quantile(ratio, 0.25),
                quantile(ratio, 0.75)};
    }

    /** GFLOP per nanosecond-of-CPU … i.e. GFLOP/s; starts at a typical figure, then follows the last measurement. */
    private static double peakRateGuess = 60;

    private static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.round(q * (sorted.length - 1))];
    }

    private static double gflops(Kernels kernels, int rows, String shape, int reps) {
        Problem problem = new Problem(kernels, rows, shape);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long start = THREADS.getCurrentThreadCpuTime();
            problem.run();
            best = Math.min(best, THREADS.getCurrentThreadCpuTime() - start);
        }
        return problem.flops / best;
    }

    /** One shape's inputs, packed weights and output, "INxOUT" with an optional "+GELU". */
    private static final class Problem {
        final Kernels kernels;
        final int rows;
        final float[] x;
        final float[] bias;
        final float[] y;
        final PackedWeights packed;
        final Epilogue epilogue;
        final double flops;

        Problem(Kernels kernels, int rows, String shape) {
            this.kernels = kernels;
            this.rows = rows;
            epilogue = shape.endsWith("+GELU") ? Epilogue.GELU : Epilogue.NONE;
            String[] dims = shape.replace("+GELU", "").split("x");
            int in = Integer.parseInt(dims[0]);
            int out = Integer.parseInt(dims[1]);
            Random random = new Random(1);
            float[] w = new float[in * out];
            for (int i = 0; i < w.length; i++) {
                w[i] = random.nextFloat() - 0.5f;
            }
            x = new float[rows * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextFloat() - 0.5f;
            }
            bias = new float[out];
            y = new float[rows * out];
            packed = kernels.pack(w, out, in);
            flops = 2.0 * rows * in * out;
        }

        void run() {
            kernels.linear(x, rows, packed, bias, epilogue, y);
        }
    }
}
