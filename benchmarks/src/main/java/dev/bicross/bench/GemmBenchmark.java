package dev.bicross.bench;

import dev.bicross.engine.kernel.Epilogue;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.PackedWeights;
import dev.bicross.engine.kernel.ScalarKernels;
import dev.bicross.engine.kernel.VectorKernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code linear()} on the MiniLM-L6 shapes with a batch of 4,096 token rows: attention output 384→384, fused QKV
 * 384→1152, FFN up 384→1536 (with GELU) and FFN down 1536→384. Time per call; GFLOP/s = 2·rows·in·out / time.
 * Compare with
 * {@link FmaPeakBenchmark} run in the same session for % of peak. Vector width per fork:
 * {@code -jvmArgsAppend -Dbicross.vectorBits=512}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {

    /** in x out (PyTorch weight is out × in). */
    @Param({"384x384", "384x1152", "384x1536", "1536x384"})
    public String shape;

    /** vector (the JVM's vector width, see -Dbicross.vectorBits) or scalar (single-threaded reference). */
    @Param({"vector"})
    public String kernels;

    @Param({"1", "2"})
    public int threads;

    @Param({"4096"})
    public int rows;

    private Kernels impl;
    private PackedWeights weights;
    private float[] x;
    private float[] bias;
    private float[] y;
    private Epilogue epilogue;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        int in = Integer.parseInt(parts[0]);
        int out = Integer.parseInt(parts[1]);
        impl = switch (kernels) {
            case "scalar" -> new ScalarKernels();
            case "vector" -> new VectorKernels(threads);
            default -> throw new IllegalArgumentException("kernels: " + kernels);
        };
        Random random = new Random(1);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextFloat() - 0.5f;
        }
        weights = impl.pack(w, out, in);
        x = new float[rows * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() - 0.5f;
        }
        bias = new float[out];
        y = new float[rows * out];
        epilogue = out == 1536 ? Epilogue.GELU : Epilogue.NONE;
    }

    @Benchmark
    public float[] linear() {
        impl.linear(x, rows, weights, bias, epilogue, y);
        return y;
    }
}
