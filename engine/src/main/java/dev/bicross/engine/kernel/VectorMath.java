package dev.bicross.engine.kernel;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise functions on float vectors: exp, GELU (exact erf form), and tanh (scalar, StrictMath: only the
 * pooler needs it, one row per sequence). Their scalar twins are in {@link ScalarKernels} and {@link Math};
 * {@code VectorKernelsDifferentialTest} diffs them.
 */
final class VectorMath {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();

    private VectorMath() {
    }

    private static final float LOG2E = (float) (1 / Math.log(2));
    /** ln 2 split in two: LN2_HIGH has trailing zero bits, so n·LN2_HIGH is exact for |n| ≤ 2^8. */
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = (float) (Math.log(2) - 0.693359375);
    /** Adding 1.5·2^23 rounds a float of magnitude &lt; 2^22 to an integer, left in the low mantissa bits. */
    private static final float ROUNDING_MAGIC = 12582912f;
    private static final float EXP_MIN = -87.33654f; // e^EXP_MIN is the smallest normal float

    /**
     * a[j] = e^(a[j]·scale − shift) for j in [from, to) (to − from a multiple of the vector length), returning
     * their sum: the softmax numerators of raw attention scores (the product is rounded before the subtraction,
     * as when the scaled scores are stored first). e^v to about 1 ulp, inline: v = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, ln2
     * in two parts), e^r by its Taylor polynomial to r⁷/7! (truncation error ≤ 0.35⁸/8! ≈ 5e-9, below float
     * precision), times 2ⁿ built in the exponent bits. Valid for v ≤ 88; results below the smallest normal float
     * (v &lt; −87.34, −∞ included) are flushed to 0 by setting their 2ⁿ and r to 0 (a blend, instead of clamping
     * the input: Java's min/max semantics cost four instructions each on AVX2). NaN propagates.
     *
     * <p>Two passes, as {@link #geluInPlace}: the first leaves r in {@code a} and 2ⁿ in {@code twoToN} (the
     * caller's scratch of at least to − from floats: a thread-local lookup per softmax row cost 5% of attention), the
     * second evaluates the polynomial. One loop was a chain of ~13 dependent operations per vector, and the core
     * overlapped too few vectors: two passes made a head of attention 1.09× faster (128 tokens, single core),
     * bitwise the same (same operations, in the same order). Arrays in, arrays out, and the whole computation in
     * this method's loops: C2 keeps vectors in registers only within one compiled method, and a helper it
     * declines to inline (too big) would box every vector.
     */
    static float expShiftedInPlace(float[] a, int from, int to, float scale, float shift, float[] twoToN) {
        for (int j = from; j < to; j += L) {
            FloatVector v = FloatVector.fromArray(S, a, j).mul(scale).sub(shift);
            FloatVector shifted = v.fma(LOG2E, ROUNDING_MAGIC);
            FloatVector n = shifted.sub(ROUNDING_MAGIC);
            FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HIGH), v); // the product is exact: one rounding
            r = n.fma(FloatVector.broadcast(S, -LN2_LOW), r);
            VectorMask<Float> flush = v.lt(EXP_MIN);
            // 2ⁿ: n sits in the low bits of shifted; n + 127 in the exponent field is the float 2ⁿ
            ((FloatVector) shifted.reinterpretAsInts()
                    .sub(Float.floatToRawIntBits(ROUNDING_MAGIC) - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .blend(0f, flush).intoArray(twoToN, j - from);
            r.blend(0f, flush).intoArray(a, j); // a finite r (e^0 = 1) for the flushed lanes: 1 · 0 = 0
        }
        FloatVector sum = FloatVector.zero(S);
        for (int j = from; j < to; j += L) {
            FloatVector r = FloatVector.fromArray(S, a, j);
            FloatVector p = r.fma(1f / 5040, 1f / 720);
            p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
            p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
            p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
            p = p.fma(r, FloatVector.broadcast(S, 0.5f));
            p = p.fma(r, ONE);
            p = p.fma(r, ONE);
            FloatVector e = p.mul(FloatVector.fromArray(S, twoToN, j - from));
            e.intoArray(a, j);
            sum = sum.add(e);
        }
        return sumLanes(sum);
    }

    /**
     * Shuffles i → i + h (mod L) for h = 8, 4, 2, 1: the steps of {@link #sumLanes}, each its own
     * {@code static final} so that C2 sees a constant shuffle (one taken from an array is not, and cost ~60 cycles
     * per sum on 512-bit vectors). Steps with h ≥ L are never used.
     */
    private static final VectorShuffle<Float> HALVE_8 = VectorShuffle.iota(S, 8 % L, 1, true);
    private static final VectorShuffle<Float> HALVE_4 = VectorShuffle.iota(S, 4 % L, 1, true);
    private static final VectorShuffle<Float> HALVE_2 = VectorShuffle.iota(S, 2 % L, 1, true);
    private static final VectorShuffle<Float> HALVE_1 = VectorShuffle.iota(S, 1, 1, true);

    /**
     * The sum of v's lanes in a fixed order: lane i + lane i + L/2, then halving again (for 8 lanes:
     * ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7))). {@code reduceLanes(ADD)} may add in any order, and its
     * JIT intrinsic and its interpreted form do differ, so the same text's embedding changed in the last bit with
     * the JIT's progress (a whole warm-up later, or on another thread); these vector steps are exact in both.
     */
    static float sumLanes(FloatVector v) {
        if (L > 16) {
            throw new AssertionError("vectors of " + L + " floats"); // VectorWidth caps them at 512 bits
        }
        if (L == 16) {
            v = v.add(v.rearrange(HALVE_8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(HALVE_4));
        }
        v = v.add(v.rearrange(HALVE_2)); // L ≥ 4: VectorWidth's narrowest is 128 bits
        v = v.add(v.rearrange(HALVE_1));
        return v.lane(0);
    }

    /*
     * GELU(z) = 0.5·z·(1 + erf(z/√2)) = 0.5·z·erfc(−z/√2). With u = |z|/√2 this is 0.5·z·erfc(u) for z < 0
     * and 0.5·z·(2 − erfc(u)) for z ≥ 0: no cancellation on either side. erfc(u) = e^(−u² + C(u)), with
     * C(u) = ln(erfc(u)·e^(u²)) a smooth function (0 at u = 0, about −ln(u·√π) for large u) that a degree-11
     * polynomial we fitted (weighted least squares towards minimax, in double: engine/src/test/scripts/fit-gelu.py)
     * follows to 9.3e-8 on u ∈ [0, 4.6]. The term −u² = −z²/2 enters the exponent exactly, inside one FMA, so only
     * the rounding of u in C's argument (C' is at most 1.13) and the exponent's own rounding remain. Beyond u = 4.6
     * (|z| > 6.5) GELU is z for z > 0 (2 − erfc rounds to 2) and below 1e-9 in magnitude for z < 0, where it is
     * set to 0.
     */
    private static final float C0 = 9.266822953435394e-08f;
    private static final float C1 = -1.128384978873573f;
    private static final float C2 = 0.36344052086617434f;
    private static final float C3 = -0.10301437900826359f;
    private static final float C4 = 0.01961422409912472f;
    private static final float C5 = -0.0003266737939067335f;
    private static final float C6 = -0.0013922973958399708f;
    private static final float C7 = 0.0005688855561730247f;
    private static final float C8 = -0.0001268209415042767f;
    private static final float C9 = 1.728787407840104e-05f;
    private static final float C10 = -1.350768587199625e-06f;
    private static final float C11 = 4.6478134355881426e-08f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    /** |z| = 4.6·√2, where the fit of C ends: larger |z| are clamped to it (z &gt; 0) or give 0 (z &lt; 0). */
    private static final float GELU_CLAMP = 6.505382537841797f;

    /**
     * a[offset + i] = activation(a[offset + i] + bias[biasOffset + i]) for i in [0, length); bias may be null.
     * The bias pass and the activation are separate loops: each runs over the whole range with its constants
     * held in registers (a per-vector helper call reloaded GELU's twenty constants every time).
     */
    static void addBiasAndActivate(float[] a, int offset, float[] bias, int biasOffset, int length,
                                   Epilogue epilogue) {
        if (bias != null) {
            addInPlace(a, offset, bias, biasOffset, length);
        }
        activate(a, offset, length, epilogue);
    }

    /** a[offset + i] = activation(a[offset + i]) for i in [0, length). */
    static void activate(float[] a, int offset, int length, Epilogue epilogue) {
        switch (epilogue) {
            case NONE -> { }
            case GELU -> geluInPlace(a, offset, offset + length);
            case TANH -> tanhInPlace(a, offset, offset + length);
        }
    }

    /** a[offset + i] += b[bOffset + i] for i in [0, length). */
    static void addInPlace(float[] a, int offset, float[] b, int bOffset, int length) {
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += L) { // whole vectors: no mask (masked moves cost)
            FloatVector.fromArray(S, a, offset + i).add(FloatVector.fromArray(S, b, bOffset + i))
                    .intoArray(a, offset + i);
        }
        for (; i < length; i++) {
            a[offset + i] += b[bOffset + i];
        }
    }

    /**
     * tanh in scalar code through {@code StrictMath}: only the cross-encoder's pooler uses it (one row per
     * sequence), and the JDK's vector tanh differs between its compiled and interpreted forms in the last bit,
     * which made the same pair's logit depend on the JIT's progress. StrictMath gives the same bits everywhere,
     * and the same as the scalar twin.
     */
    private static void tanhInPlace(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            a[i] = (float) StrictMath.tanh(a[i]);
        }
    }

    /** Values per chunk of {@link #geluInPlace}: its two passes meet in an L1-resident scratch of this size. */
    private static final int GELU_CHUNK = 256;
    /** Per thread: the exponent −z²/2 + C(u) of one chunk, between the two passes. */
    private static final ThreadLocal<float[]> GELU_SCRATCH = ThreadLocal.withInitial(() -> new float[GELU_CHUNK]);

    /**
     * a[j] = GELU(a[j]) for j in [from, to), with GELU(z) = 0.5·z·erfc(−z/√2) as described above; a tail shorter
     * than a vector goes through a small copy. Relative error below 6e-7 for z ≥ −3 (|GELU| ≥ 0.004), absolute
     * error below 2e-9 further left; NaN stays NaN, +∞ gives +∞ and −∞ gives 0. e^x is written inline (see
     * {@link #expShiftedInPlace}) and the loops are in this method, so C2 keeps every constant in a register.
     *
     * <p>Two passes per chunk of {@value #GELU_CHUNK} values, through a small per-thread scratch: the first
     * computes the exponent (the polynomial), the second e^x and the result. A single loop is one chain of ~30
     * dependent operations per vector, of which the out-of-order core overlapped too few (0.93× the two passes).
     * About 40 vector operations per 8 values, 1.3–1.4× faster than the earlier form that carried the exponent
     * as a two-float sum behind a division (1.7–2.5 ns per value on the 2-core AMD VM, 1.3–1.8 ns now), with the
     * same accuracy wherever GELU is larger than 0.004 in magnitude; the earlier form also kept 5e-7 relative
     * accuracy in the far negative tail, on values below 1e-4 that no dot product downstream can see.
     */
    static void geluInPlace(float[] a, int from, int to) {
        float[] scratch = GELU_SCRATCH.get();
        int vectorEnd = from + (to - from) / L * L;
        for (int chunk = from; chunk < vectorEnd; chunk += GELU_CHUNK) {
            int end = Math.min(vectorEnd, chunk + GELU_CHUNK);
            for (int i = chunk; i < end; i += L) {
                FloatVector abs = FloatVector.fromArray(S, a, i).abs();
                abs = abs.blend(GELU_CLAMP, abs.compare(VectorOperators.GT, GELU_CLAMP)); // NaN stays NaN
                FloatVector u = abs.mul(INV_SQRT2);
                FloatVector c = u.fma(C11, C10);
                c = c.fma(u, FloatVector.broadcast(S, C9));
                c = c.fma(u, FloatVector.broadcast(S, C8));
                c = c.fma(u, FloatVector.broadcast(S, C7));
                c = c.fma(u, FloatVector.broadcast(S, C6));
                c = c.fma(u, FloatVector.broadcast(S, C5));
                c = c.fma(u, FloatVector.broadcast(S, C4));
                c = c.fma(u, FloatVector.broadcast(S, C3));
                c = c.fma(u, FloatVector.broadcast(S, C2));
                c = c.fma(u, FloatVector.broadcast(S, C1));
                c = c.fma(u, FloatVector.broadcast(S, C0));
                // −z²/2 + C(u) with one rounding: −|z|/2 is exact, and the FMA keeps the whole product
                abs.mul(-0.5f).fma(abs, c).intoArray(scratch, i - chunk);
            }
            for (int i = chunk; i < end; i += L) {
                FloatVector z = FloatVector.fromArray(S, a, i);
                FloatVector x = FloatVector.fromArray(S, scratch, i - chunk);
                // e^x as in expShiftedInPlace, without range handling: x ≥ −24 after the clamp
                FloatVector shifted = x.fma(LOG2E, ROUNDING_MAGIC);
                FloatVector n = shifted.sub(ROUNDING_MAGIC);
                FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HIGH), x); // exact product: one rounding
                r = n.fma(FloatVector.broadcast(S, -LN2_LOW), r);
                FloatVector e = r.fma(1f / 5040, 1f / 720);
                e = e.fma(r, FloatVector.broadcast(S, 1f / 120));
                e = e.fma(r, FloatVector.broadcast(S, 1f / 24));
                e = e.fma(r, FloatVector.broadcast(S, 1f / 6));
                e = e.fma(r, FloatVector.broadcast(S, 0.5f));
                e = e.fma(r, ONE);
                e = e.fma(r, ONE);
                FloatVector erfc = e.mul((FloatVector) shifted.reinterpretAsInts()
                        .sub(Float.floatToRawIntBits(ROUNDING_MAGIC) - 127)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                FloatVector twiceCdf = erfc.neg().add(2f).blend(erfc, z.lt(0f)); // 2·Φ(z) = erfc(−z/√2)
                z.mul(0.5f).mul(twiceCdf).blend(0f, z.lt(-GELU_CLAMP)).intoArray(a, i);
            }
        }
        if (vectorEnd < to) {
            float[] tail = Arrays.copyOfRange(a, vectorEnd, vectorEnd + L); // zero-padded past the array's end
            geluInPlace(tail, 0, L);
            System.arraycopy(tail, 0, a, vectorEnd, to - vectorEnd);
        }
    }

    /** {@link #geluInPlace} of one value (lane 0 of a vector), for tests. */
    static float geluLane(float z) {
        float[] v = new float[L];
        v[0] = z;
        geluInPlace(v, 0, L);
        return v[0];
    }
}
