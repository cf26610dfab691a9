package dev.bicross.index.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Four independent accumulators hide the FMA latency (one chain would stall on each
 * add); the remainder shorter than a vector is handled by a scalar tail, so any length works. The summation
 * order is fixed (see {@link #sumLanes}), so a score is the same bits in every run and every JIT state.
 */
public final class VectorDistanceKernels implements DistanceKernels {

    /**
     * The width, fixed at class initialisation: the Vector API only compiles to SIMD instructions when the species
     * is a constant ({@code static final}); a species held in an instance field runs ~50x slower than scalar code.
     */
    private static final VectorSpecies<Float> SPECIES = speciesFromProperty();
    private static final int LANES = SPECIES.length();

    private static final VectorDistanceKernels INSTANCE = new VectorDistanceKernels();

    private VectorDistanceKernels() {
    }

    /** The kernels, at the width set by {@value DistanceKernels#VECTOR_BITS_PROPERTY} or the platform's preferred. */
    public static VectorDistanceKernels instance() {
        return INSTANCE;
    }

    private static VectorSpecies<Float> speciesFromProperty() {
        String bits = System.getProperty(VECTOR_BITS_PROPERTY);
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        VectorShape shape = switch (bits.trim()) {
            case "64" -> VectorShape.S_64_BIT;
            case "128" -> VectorShape.S_128_BIT;
            case "256" -> VectorShape.S_256_BIT;
            case "512" -> VectorShape.S_512_BIT;
            default -> throw new IllegalArgumentException(VECTOR_BITS_PROPERTY + "=" + bits
                    + " is not a supported vector width (use 64, 128, 256 or 512)");
        };
        return VectorSpecies.of(float.class, shape);
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        VectorSpecies<Float> s = SPECIES;
        int lanes = s.length();
        FloatVector acc0 = FloatVector.zero(s);
        FloatVector acc1 = FloatVector.zero(s);
        FloatVector acc2 = FloatVector.zero(s);
        FloatVector acc3 = FloatVector.zero(s);
        int i = 0;
        for (; i + 4 * lanes <= length; i += 4 * lanes) {
            acc0 = FloatVector.fromArray(s, a, aOffset + i).fma(FloatVector.fromArray(s, b, bOffset + i), acc0);
            acc1 = FloatVector.fromArray(s, a, aOffset + i + lanes)
                    .fma(FloatVector.fromArray(s, b, bOffset + i + lanes), acc1);
            acc2 = FloatVector.fromArray(s, a, aOffset + i + 2 * lanes)
                    .fma(FloatVector.fromArray(s, b, bOffset + i + 2 * lanes), acc2);
            acc3 = FloatVector.fromArray(s, a, aOffset + i + 3 * lanes)
                    .fma(FloatVector.fromArray(s, b, bOffset + i + 3 * lanes), acc3);
        }
        for (; i + lanes <= length; i += lanes) {
            acc0 = FloatVector.fromArray(s, a, aOffset + i).fma(FloatVector.fromArray(s, b, bOffset + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < length; i++) {
            sum = Math.fma(a[aOffset + i], b[bOffset + i], sum);
        }
        return sum;
    }

    @Override
    public float squaredDistance(float[] a, int aOffset, float[] b, int bOffset, int length) {
        VectorSpecies<Float> s = SPECIES;
        int lanes = s.length();
        FloatVector acc0 = FloatVector.zero(s);
        FloatVector acc1 = FloatVector.zero(s);
        FloatVector acc2 = FloatVector.zero(s);
        FloatVector acc3 = FloatVector.zero(s);
        int i = 0;
        for (; i + 4 * lanes <= length; i += 4 * lanes) {
            FloatVector d0 = FloatVector.fromArray(s, a, aOffset + i).sub(FloatVector.fromArray(s, b, bOffset + i));
            FloatVector d1 = FloatVector.fromArray(s, a, aOffset + i + lanes)
                    .sub(FloatVector.fromArray(s, b, bOffset + i + lanes));
            FloatVector d2 = FloatVector.fromArray(s, a, aOffset + i + 2 * lanes)
                    .sub(FloatVector.fromArray(s, b, bOffset + i + 2 * lanes));
            FloatVector d3 = FloatVector.fromArray(s, a, aOffset + i + 3 * lanes)
                    .sub(FloatVector.fromArray(s, b, bOffset + i + 3 * lanes));
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
            acc2 = d2.fma(d2, acc2);
            acc3 = d3.fma(d3, acc3);
        }
        for (; i + lanes <= length; i += lanes) {
            FloatVector d = FloatVector.fromArray(s, a, aOffset + i).sub(FloatVector.fromArray(s, b, bOffset + i));
            acc0 = d.fma(d, acc0);
        }
        float sum = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < length; i++) {
            float d = a[aOffset + i] - b[bOffset + i];
            sum = Math.fma(d, d, sum);
        }
        return sum;
    }

    /**
     * Two accumulators per row (eight independent FMA chains: the four of one accumulator per row only keep one
     * of the two FMA units busy), then a fixed-order lane sum and scalar tail.
     */
    @Override
    public void dot4(float[] query, float[] block, int o0, int o1, int o2, int o3, int length, float[] out,
                     int outOffset) {
        VectorSpecies<Float> s = SPECIES;
        int lanes = s.length();
        FloatVector acc0 = FloatVector.zero(s);
        FloatVector acc1 = FloatVector.zero(s);
        FloatVector acc2 = FloatVector.zero(s);
        FloatVector acc3 = FloatVector.zero(s);
        FloatVector bcc0 = FloatVector.zero(s);
        FloatVector bcc1 = FloatVector.zero(s);
        FloatVector bcc2 = FloatVector.zero(s);
        FloatVector bcc3 = FloatVector.zero(s);
        int i = 0;
        for (; i + 2 * lanes <= length; i += 2 * lanes) {
            FloatVector q = FloatVector.fromArray(s, query, i);
            FloatVector r = FloatVector.fromArray(s, query, i + lanes);
            acc0 = q.fma(FloatVector.fromArray(s, block, o0 + i), acc0);
            acc1 = q.fma(FloatVector.fromArray(s, block, o1 + i), acc1);
            acc2 = q.fma(FloatVector.fromArray(s, block, o2 + i), acc2);
            acc3 = q.fma(FloatVector.fromArray(s, block, o3 + i), acc3);
            bcc0 = r.fma(FloatVector.fromArray(s, block, o0 + i + lanes), bcc0);
            bcc1 = r.fma(FloatVector.fromArray(s, block, o1 + i + lanes), bcc1);
            bcc2 = r.fma(FloatVector.fromArray(s, block, o2 + i + lanes), bcc2);
            bcc3 = r.fma(FloatVector.fromArray(s, block, o3 + i + lanes), bcc3);
        }
        for (; i + lanes <= length; i += lanes) {
            FloatVector q = FloatVector.fromArray(s, query, i);
            acc0 = q.fma(FloatVector.fromArray(s, block, o0 + i), acc0);
            acc1 = q.fma(FloatVector.fromArray(s, block, o1 + i), acc1);
            acc2 = q.fma(FloatVector.fromArray(s, block, o2 + i), acc2);
            acc3 = q.fma(FloatVector.fromArray(s, block, o3 + i), acc3);
        }
        float s0 = sumLanes(acc0.add(bcc0));
        float s1 = sumLanes(acc1.add(bcc1));
        float s2 = sumLanes(acc2.add(bcc2));
        float s3 = sumLanes(acc3.add(bcc3));
        for (; i < length; i++) {
            float q = query[i];
            s0 = Math.fma(q, block[o0 + i], s0);
            s1 = Math.fma(q, block[o1 + i], s1);
            s2 = Math.fma(q, block[o2 + i], s2);
            s3 = Math.fma(q, block[o3 + i], s3);
        }
        out[outOffset] = s0;
        out[outOffset + 1] = s1;
        out[outOffset + 2] = s2;
        out[outOffset + 3] = s3;
    }

    @Override
    public void squaredDistance4(float[] query, float[] block, int o0, int o1, int o2, int o3, int length,
                                 float[] out, int outOffset) {
        VectorSpecies<Float> s = SPECIES;
        int lanes = s.length();
        FloatVector acc0 = FloatVector.zero(s);
        FloatVector acc1 = FloatVector.zero(s);
        FloatVector acc2 = FloatVector.zero(s);
        FloatVector acc3 = FloatVector.zero(s);
        FloatVector bcc0 = FloatVector.zero(s);
        FloatVector bcc1 = FloatVector.zero(s);
        FloatVector bcc2 = FloatVector.zero(s);
        FloatVector bcc3 = FloatVector.zero(s);
        int i = 0;
        for (; i + 2 * lanes <= length; i += 2 * lanes) {
            FloatVector q = FloatVector.fromArray(s, query, i);
            FloatVector r = FloatVector.fromArray(s, query, i + lanes);
            FloatVector d0 = q.sub(FloatVector.fromArray(s, block, o0 + i));
            FloatVector d1 = q.sub(FloatVector.fromArray(s, block, o1 + i));
            FloatVector d2 = q.sub(FloatVector.fromArray(s, block, o2 + i));
            FloatVector d3 = q.sub(FloatVector.fromArray(s, block, o3 + i));
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
            acc2 = d2.fma(d2, acc2);
            acc3 = d3.fma(d3, acc3);
            FloatVector e0 = r.sub(FloatVector.fromArray(s, block, o0 + i + lanes));
            FloatVector e1 = r.sub(FloatVector.fromArray(s, block, o1 + i + lanes));
            FloatVector e2 = r.sub(FloatVector.fromArray(s, block, o2 + i + lanes));
            FloatVector e3 = r.sub(FloatVector.fromArray(s, block, o3 + i + lanes));
            bcc0 = e0.fma(e0, bcc0);
            bcc1 = e1.fma(e1, bcc1);
            bcc2 = e2.fma(e2, bcc2);
            bcc3 = e3.fma(e3, bcc3);
        }
        for (; i + lanes <= length; i += lanes) {
            FloatVector q = FloatVector.fromArray(s, query, i);
            FloatVector d0 = q.sub(FloatVector.fromArray(s, block, o0 + i));
            FloatVector d1 = q.sub(FloatVector.fromArray(s, block, o1 + i));
            FloatVector d2 = q.sub(FloatVector.fromArray(s, block, o2 + i));
            FloatVector d3 = q.sub(FloatVector.fromArray(s, block, o3 + i));
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
            acc2 = d2.fma(d2, acc2);
            acc3 = d3.fma(d3, acc3);
        }
        float s0 = sumLanes(acc0.add(bcc0));
        float s1 = sumLanes(acc1.add(bcc1));
        float s2 = sumLanes(acc2.add(bcc2));
        float s3 = sumLanes(acc3.add(bcc3));
        for (; i < length; i++) {
            float q = query[i];
            float d0 = q - block[o0 + i];
            float d1 = q - block[o1 + i];
            float d2 = q - block[o2 + i];
            float d3 = q - block[o3 + i];
            s0 = Math.fma(d0, d0, s0);
            s1 = Math.fma(d1, d1, s1);
            s2 = Math.fma(d2, d2, s2);
            s3 = Math.fma(d3, d3, s3);
        }
        out[outOffset] = s0;
        out[outOffset + 1] = s1;
        out[outOffset + 2] = s2;
        out[outOffset + 3] = s3;
    }

    /**
     * Sums the lanes by halving (lane i += lane i + half) so the order is fixed. {@code reduceLanes(ADD)} may
     * add in any order, and does differ between the JIT intrinsic and the interpreter, which would make the
     * same query score differently before and after warm-up.
     */
    private static float sumLanes(FloatVector v) {
        if (LANES == 8) {
            // The same halving spelt out with lane extracts: slice() is not intrinsified for every shape and
            // falls back to a shuffle through memory, which cost ~10% of a whole index build.
            float a = v.lane(0) + v.lane(4);
            float b = v.lane(1) + v.lane(5);
            float c = v.lane(2) + v.lane(6);
            float d = v.lane(3) + v.lane(7);
            return (a + c) + (b + d);
        }
        float[] t = new float[LANES];
        v.intoArray(t, 0);
        for (int half = LANES / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                t[i] += t[i + half];
            }
        }
        return t[0];
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }
}
