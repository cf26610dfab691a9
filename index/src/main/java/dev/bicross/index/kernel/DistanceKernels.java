package dev.bicross.index.kernel;

/**
 * The two inner loops every metric reduces to: a dot product and a squared Euclidean distance over
 * {@code length} floats read from two arrays at given offsets (vectors live in one contiguous block, so
 * callers pass the block and the row offset instead of copying rows out).
 *
 * <p>Two implementations exist: {@link ScalarDistanceKernels} (plain loops, the test oracle and the fallback)
 * and {@link VectorDistanceKernels} (JDK Vector API). {@link #preferred()} picks one once per JVM.
 * Implementations are stateless and thread-safe.
 */
public sealed interface DistanceKernels permits ScalarDistanceKernels, VectorDistanceKernels {

    /** System property: set to {@code false} to force the scalar kernels. */
    String SIMD_PROPERTY = "bicross.index.simd";

    /** System property: vector width in bits for the SIMD kernels (64..512); defaults to the platform's preferred. */
    String VECTOR_BITS_PROPERTY = "bicross.index.vectorBits";

    /** Σ a[aOffset+i]·b[bOffset+i] for i in [0, length). */
    float dot(float[] a, int aOffset, float[] b, int bOffset, int length);

    /** Σ (a[aOffset+i] − b[bOffset+i])² for i in [0, length). */
    float squaredDistance(float[] a, int aOffset, float[] b, int bOffset, int length);

    /**
     * Scores one query against four rows of a block at once: {@code out[outOffset + j] = Σ query[i]·block[o_j + i]}.
     * Reading the query once for four rows and running four independent sums keeps more memory loads in flight,
     * which is what graph search (scattered rows) is bound by. Each row's sum is accumulated in the same order
     * in every implementation variant of a JVM, so a (query, row) score does not depend on its batch-mates.
     */
    void dot4(float[] query, float[] block, int o0, int o1, int o2, int o3, int length, float[] out, int outOffset);

    /** As {@link #dot4}, for squared Euclidean distances. */
    void squaredDistance4(float[] query, float[] block, int o0, int o1, int o2, int o3, int length, float[] out,
                          int outOffset);

    /** A short name for logs and benchmark labels, e.g. {@code "vector-256"} or {@code "scalar"}. */
    String name();

    /**
     * The kernels this JVM should use: the Vector API kernels when the {@code jdk.incubator.vector} module is
     * present and {@value #SIMD_PROPERTY} is not {@code false}, the scalar kernels otherwise. Chosen once and
     * logged once.
     */
    static DistanceKernels preferred() {
        return KernelChoice.CHOSEN;
    }
}
