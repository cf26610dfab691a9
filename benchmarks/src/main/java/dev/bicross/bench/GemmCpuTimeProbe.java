package dev.bicross.bench;

import dev.bicross.engine.kernel.Epilogue;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.PackedWeights;
import dev.bicross.engine.kernel.ScalarKernels;
import dev.bicross.engine.kernel.VectorKernels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * GEMM efficiency on a shared machine: GFLOP per CPU-second of the measuring thread (single-threaded kernels),
 * next to the FMA peak measured the same way ({@link FmaPeakBenchmark}'s loop), so time lost to other processes
 * (a 2-core box shared by several builds) does not count against the kernel. Best of N runs. JMH's
 * {@link GemmBenchmark} gives wall-clock figures and the 2-thread scaling when the machine is quiet.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.bicross.bench.GemmCpuTimeProbe [rows=4096] [reps=15]}
 */
public final class GemmCpuTimeProbe {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private GemmCpuTimeProbe() {
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        FmaPeakBenchmark peakLoop = new FmaPeakBenchmark();
        double bestPeakNanos = Double.MAX_VALUE;
        float sink = 0;
        for (int r = 0; r < 5000; r++) { // long enough for C2; best run = no preemption inside
            long start = THREADS.getCurrentThreadCpuTime();
            sink += peakLoop.fmaChains();
            bestPeakNanos = Math.min(bestPeakNanos, THREADS.getCurrentThreadCpuTime() - start);
        }
        double peak = (double) FmaPeakBenchmark.operationsPerCall() * FmaPeakBenchmark.lanes() * 2 / bestPeakNanos;
        System.out.printf("FMA peak, 1 core (%d-bit): %.1f GFLOP/s per CPU-second%n",
                FmaPeakBenchmark.lanes() * 32, peak);
        Kernels vector = new VectorKernels(1);
        Kernels scalar = new ScalarKernels();
        // one untimed round over every shape first, so that the first shape's figure does not include the JIT
        for (String shape : new String[] {"384x384", "384x1152", "384x1536", "1536x384"}) {
            int in = Integer.parseInt(shape.split("x")[0]);
            int out = Integer.parseInt(shape.split("x")[1]);
            gflops(vector, rows, in, out, out == 1536 ? Epilogue.GELU : Epilogue.NONE, 3);
        }
        for (String shape : new String[] {"384x384", "384x1152", "384x1536", "1536x384"}) {
            int in = Integer.parseInt(shape.split("x")[0]);
            int out = Integer.parseInt(shape.split("x")[1]);
            Epilogue epilogue = out == 1536 ? Epilogue.GELU : Epilogue.NONE;
            double v = gflops(vector, rows, in, out, epilogue, reps);
            double s = gflops(scalar, Math.min(rows, 256), in, out, epilogue, 2);
            System.out.printf("linear %s%s rows=%d: %s %.1f GFLOP/s (%.0f%% of peak), scalar %.2f GFLOP/s "
                    + "(%d rows), vector/scalar %.0fx%n", shape, epilogue == Epilogue.GELU ? "+GELU" : "", rows,
                    vector.name(), v, 100 * v / peak, s, Math.min(rows, 256), v / s);
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static double gflops(Kernels kernels, int rows, int in, int out, Epilogue epilogue, int reps) {
        Random random = new Random(1);
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextFloat() - 0.5f;
        }
        float[] x = new float[rows * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() - 0.5f;
        }
        float[] bias = new float[out];
        float[] y = new float[rows * out];
        PackedWeights packed = kernels.pack(w, out, in);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long start = THREADS.getCurrentThreadCpuTime();
            kernels.linear(x, rows, packed, bias, epilogue, y);
            best = Math.min(best, THREADS.getCurrentThreadCpuTime() - start);
        }
        return 2.0 * rows * in * out / best;
    }
}
