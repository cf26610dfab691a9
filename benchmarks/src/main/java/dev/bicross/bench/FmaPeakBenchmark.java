package dev.bicross.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's measured FP32 FMA peak through the Vector API: 12 independent FMA chains held in registers (enough
 * to cover FMA latency × issue width on current x86 cores), no memory traffic. Score = FMA vector instructions
 * per µs per thread; GFLOP/s = score × lanes × 2 / 1000. Run with {@code -t 2} (one thread per core) for the
 * all-core peak; species from {@code -Dbicross.vectorBits} (default: preferred).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class FmaPeakBenchmark {

    private static final VectorSpecies<Float> S = species();
    private static final int ITERATIONS = 1 << 12;
    private static final int CHAINS = 12;

    /** Same choice as the kernels: the requested width, capped at the widest the CPU runs natively. */
    private static VectorSpecies<Float> species() {
        String bits = System.getProperty("bicross.vectorBits");
        if (bits == null) {
            return FloatVector.SPECIES_PREFERRED;
        }
        int nativeBits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return VectorSpecies.of(float.class,
                jdk.incubator.vector.VectorShape.forBitSize(Math.min(Integer.parseInt(bits), nativeBits)));
    }

    public float a = 0.999f;
    public float b = 1e-4f;

    /** FMA vector instructions per {@link #fmaChains} call. */
    public static int operationsPerCall() {
        return ITERATIONS * CHAINS;
    }

    /** Lanes per vector, for converting the score to GFLOP/s. */
    public static int lanes() {
        return S.length();
    }

    @Benchmark
    @OperationsPerInvocation(ITERATIONS * CHAINS)
    public float fmaChains() {
        FloatVector m = FloatVector.broadcast(S, a);
        FloatVector c = FloatVector.broadcast(S, b);
        FloatVector v0 = FloatVector.broadcast(S, 1f);
        FloatVector v1 = v0.add(1f);
        FloatVector v2 = v0.add(2f);
        FloatVector v3 = v0.add(3f);
        FloatVector v4 = v0.add(4f);
        FloatVector v5 = v0.add(5f);
        FloatVector v6 = v0.add(6f);
        FloatVector v7 = v0.add(7f);
        FloatVector v8 = v0.add(8f);
        FloatVector v9 = v0.add(9f);
        FloatVector v10 = v0.add(10f);
        FloatVector v11 = v0.add(11f);
        for (int i = 0; i < ITERATIONS; i++) {
            v0 = v0.fma(m, c);
            v1 = v1.fma(m, c);
            v2 = v2.fma(m, c);
            v3 = v3.fma(m, c);
            v4 = v4.fma(m, c);
            v5 = v5.fma(m, c);
            v6 = v6.fma(m, c);
            v7 = v7.fma(m, c);
            v8 = v8.fma(m, c);
            v9 = v9.fma(m, c);
            v10 = v10.fma(m, c);
            v11 = v11.fma(m, c);
        }
        FloatVector sum = v0.add(v1).add(v2).add(v3).add(v4).add(v5).add(v6).add(v7).add(v8).add(v9).add(v10)
                .add(v11);
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
