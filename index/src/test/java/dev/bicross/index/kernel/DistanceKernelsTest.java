package dev.bicross.index.kernel;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every SIMD kernel against its scalar twin, on random data of awkward lengths and offsets. */
class DistanceKernelsTest {

    private static final int[] LENGTHS = {0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 383, 384,
            385, 767, 768, 1023, 1031};

    private final ScalarDistanceKernels scalar = new ScalarDistanceKernels();

    private static List<DistanceKernels> simdVariants() {
        // The width is fixed per JVM (bicross.index.vectorBits); surefire runs the preferred one.
        return List.of(VectorDistanceKernels.instance());
    }

    /** Bound on float summation error: a few ulps of the sum of absolute terms per term added. */
    private static double tolerance(double absSum, int length) {
        return 4 * Math.ulp(1f) * (length + 4) * absSum + 1e-30;
    }

    @Test
    void dotMatchesScalarOnRandomLengthsAndOffsets() {
        SplittableRandom random = new SplittableRandom(7);
        for (DistanceKernels simd : simdVariants()) {
            for (int length : LENGTHS) {
                for (int trial = 0; trial < 5; trial++) {
                    int aOffset = random.nextInt(9);
                    int bOffset = random.nextInt(9);
                    float[] a = randomArray(random, aOffset + length + random.nextInt(5));
                    float[] b = randomArray(random, bOffset + length + random.nextInt(5));
                    double exact = 0;
                    double absSum = 0;
                    for (int i = 0; i < length; i++) {
                        exact += (double) a[aOffset + i] * b[bOffset + i];
                        absSum += Math.abs((double) a[aOffset + i] * b[bOffset + i]);
                    }
                    float fast = simd.dot(a, aOffset, b, bOffset, length);
                    float slow = scalar.dot(a, aOffset, b, bOffset, length);
                    double tol = tolerance(absSum, length);
                    assertEquals(exact, fast, tol, simd.name() + " dot, length " + length);
                    assertEquals(exact, slow, tol, "scalar dot, length " + length);
                    assertEquals(slow, fast, 2 * tol, simd.name() + " vs scalar dot, length " + length);
                }
            }
        }
    }

    @Test
    void squaredDistanceMatchesScalarOnRandomLengthsAndOffsets() {
        SplittableRandom random = new SplittableRandom(11);
        for (DistanceKernels simd : simdVariants()) {
            for (int length : LENGTHS) {
                for (int trial = 0; trial < 5; trial++) {
                    int aOffset = random.nextInt(9);
                    int bOffset = random.nextInt(9);
                    float[] a = randomArray(random, aOffset + length + random.nextInt(5));
                    float[] b = randomArray(random, bOffset + length + random.nextInt(5));
                    double exact = 0;
                    for (int i = 0; i < length; i++) {
                        double d = (double) a[aOffset + i] - b[bOffset + i];
                        exact += d * d;
                    }
                    float fast = simd.squaredDistance(a, aOffset, b, bOffset, length);
                    float slow = scalar.squaredDistance(a, aOffset, b, bOffset, length);
                    double tol = tolerance(exact, length);
                    assertEquals(exact, fast, tol, simd.name() + " distance, length " + length);
                    assertEquals(slow, fast, 2 * tol, simd.name() + " vs scalar distance, length " + length);
                }
            }
        }
    }

    @Test
    void smallIntegersAreExactInEveryKernel() {
        // Products and sums of small integers are exactly representable: every summation order agrees.
        SplittableRandom random = new SplittableRandom(3);
        for (DistanceKernels simd : simdVariants()) {
            for (int length : LENGTHS) {
                float[] a = new float[length];
                float[] b = new float[length];
                long dot = 0;
                long distance = 0;
                for (int i = 0; i < length; i++) {
                    a[i] = random.nextInt(-8, 9);
                    b[i] = random.nextInt(-8, 9);
                    dot += (long) a[i] * (long) b[i];
                    distance += (long) (a[i] - b[i]) * (long) (a[i] - b[i]);
                }
                assertEquals(dot, simd.dot(a, 0, b, 0, length), simd.name() + " length " + length);
                assertEquals(dot, scalar.dot(a, 0, b, 0, length));
                assertEquals(distance, simd.squaredDistance(a, 0, b, 0, length), simd.name() + " length " + length);
                assertEquals(distance, scalar.squaredDistance(a, 0, b, 0, length));
            }
        }
    }

    @Test
    void batchOfFourMatchesFourSingleScoresInEveryImplementation() {
        SplittableRandom random = new SplittableRandom(13);
        List<DistanceKernels> all = List.of(scalar, VectorDistanceKernels.instance());
        for (DistanceKernels kernels : all) {
            for (int length : LENGTHS) {
                float[] query = randomArray(random, length);
                int rows = 7;
                float[] block = randomArray(random, rows * length + 3);
                int[] offsets = {random.nextInt(rows) * length, random.nextInt(rows) * length + 1,
                        random.nextInt(rows) * length + 2, random.nextInt(rows) * length + 3};
                float[] dots = new float[6];
                float[] distances = new float[6];
                kernels.dot4(query, block, offsets[0], offsets[1], offsets[2], offsets[3], length, dots, 1);
                kernels.squaredDistance4(query, block, offsets[0], offsets[1], offsets[2], offsets[3], length,
                        distances, 2);
                for (int j = 0; j < 4; j++) {
                    double exactDot = 0;
                    double absSum = 0;
                    double exactDistance = 0;
                    for (int i = 0; i < length; i++) {
                        exactDot += (double) query[i] * block[offsets[j] + i];
                        absSum += Math.abs((double) query[i] * block[offsets[j] + i]);
                        double d = (double) query[i] - block[offsets[j] + i];
                        exactDistance += d * d;
                    }
                    String where = kernels.name() + " row " + j + ", length " + length;
                    assertEquals(exactDot, dots[1 + j], tolerance(absSum, length), where);
                    assertEquals(exactDistance, distances[2 + j], tolerance(exactDistance, length), where);
                    assertEquals(scalar.dot(query, 0, block, offsets[j], length), dots[1 + j],
                            2 * tolerance(absSum, length), where);
                }
                // A row's score does not depend on its batch-mates.
                float[] alone = new float[4];
                kernels.dot4(query, block, offsets[2], offsets[2], offsets[2], offsets[2], length, alone, 0);
                assertEquals(Float.floatToIntBits(dots[3]), Float.floatToIntBits(alone[0]), kernels.name());
            }
        }
    }

    @Test
    void preferredKernelsAreChosenAndNamed() {
        DistanceKernels chosen = DistanceKernels.preferred();
        assertTrue(chosen.name().startsWith("vector-") || chosen.name().equals("scalar"), chosen.name());
    }

    private static float[] randomArray(SplittableRandom random, int length) {
        float[] a = new float[length];
        for (int i = 0; i < length; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }
}
