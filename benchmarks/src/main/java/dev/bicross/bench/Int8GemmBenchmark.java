package dev.bicross.bench;

import dev.bicross.engine.kernel.Epilogue;
import dev.bicross.engine.kernel.PackedWeights;
import dev.bicross.engine.kernel.Precision;
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
 * {@code linear()} at each {@link Precision} on the MiniLM-L6 shapes, for a batch (4,096 token rows,
 * compute-bound) and a query (10 rows, weight-bandwidth-bound): FP32, weight-only int8 (codes widened to float
 * in the micro-kernel) and int8 with dynamic activation quantization (16-bit products, int32 sums). Time per call,
 * all three in one run so their ratios are comparable.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Int8GemmBenchmark {

    /** in x out (PyTorch weight is out × in). */
    @Param({"384x1152", "1536x384"})
    public String shape;

    @Param({"fp32", "int8", "int8-dynamic"})
    public String precision;

    @Param({"10", "4096"})
    public int rows;

    @Param({"2"})
    public int threads;

    private VectorKernels kernels;
    private PackedWeights weights;
    private float[] x;
    private float[] bias;
    private float[] y;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        int in = Integer.parseInt(parts[0]);
        int out = Integer.parseInt(parts[1]);
        kernels = new VectorKernels(threads);
        Random random = new Random(1);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextFloat() - 0.5f;
        }
        weights = kernels.pack(w, out, in, Precision.parse(precision));
        x = new float[rows * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() - 0.5f;
        }
        bias = new float[out];
        y = new float[rows * out];
    }

    @Benchmark
    public float[] linear() {
        kernels.linear(x, rows, weights, bias, Epilogue.NONE, y);
        return y;
    }
}
