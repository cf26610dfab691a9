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

    /** Per thread: the 2ⁿ factors of {@link #expShiftedInPlace}'s first pass; grown on demand. */
    private static final ThreadLocal<float[][]> EXP_SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * a[j] = e^(a[j] − shift) for j in [from, to) (to − from a multiple of the vector length), returning their
     * sum: the softmax numerators. e^v to about 1 ulp, inline: v = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, ln2
     * in two parts), e^r by its Taylor polynomial to r⁷/7! (truncation error ≤ 0.35⁸/8! ≈ 5e-9, below float
     * precision), times 2ⁿ built in the exponent bits. Valid for v ≤ 88; results below the smallest normal float
     * (v &lt; −87.34, −∞ included) are flushed to 0 by setting their 2ⁿ and r to 0 (a blend, instead of clamping
     * the input: Java's min/max semantics cost four instructions each on AVX2). NaN propagates.
     *
     * <p>Two passes, as {@link #geluInPlace}: the first leaves r in {@code a} and 2ⁿ in a per-thread scratch, the
     * second evaluates the polynomial. One loop was a chain of ~13 dependent operations per vector, and the core
     * overlapped too few vectors: two passes made a head of attention 1.09× faster (128 tokens, single core),
     * bitwise the same (same operations, in the same order). Arrays in, arrays out, and the whole computation in
     * this method's loops: C2 keeps vectors in registers only within one compiled method, and a helper it
     * declines to inline (too big) would box every vector.
     */
    static float expShiftedInPlace(float[] a, int from, int to, float shift) {
        float[][] holder = EXP_SCRATCH.get();
        if (holder[0].length < to - from) {
            holder[0] = new float[to - from];
        }
        float[] twoToN = holder[0];
        for (int j = from; j < to; j += L) {
            FloatVector v = FloatVector.fromArray(S, a, j).sub(shift);
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

    /** Shuffles i → i + h (mod L) for h = L/2, L/4, …, 1: the steps of {@link #sumLanes}. */
    private static final VectorShuffle<Float>[] HALVINGS = halvings();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halvings() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int step = 0, h = L / 2; h >= 1; step++, h /= 2) {
            shuffles[step] = VectorShuffle.iota(S, h, 1, true);
        }
        return shuffles;
    }

    /**
     * The sum of v's lanes in a fixed order: lane i + lane i + L/2, then halving again (for 8 lanes:
     * ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7))). {@code reduceLanes(ADD)} may add in any order, and its
     * JIT intrinsic and its interpreted form do differ, so the same text's embedding changed in the last bit with
     * the JIT's progress (a whole warm-up later, or on another thread); these vector steps are exact in both.
     */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> halving : HALVINGS) {
            v = v.add(v.rearrange(halving));
        }
        return v.lane(0);
    }

    /*
     * GELU(z) = 0.5·z·(1 + erf(z/√2)) = 0.5·z·erfc(−z/√2). With u = |z|/√2 this is 0.5·z·erfc(u) for z < 0 and
     * 0.5·z·(2 − erfc(u)) for z ≥ 0: no cancellation on either side, so the relative error of GELU is that of
     * erfc. erfc(u) = t·exp(−u² + P(t)) with t = 1/(1 + u/2), P a degree-9 polynomial we fitted (weighted least
     * squares towards minimax, in double) to ln(erfc(u)·e^(u²)/t) on t ∈ [1/6, 1], i.e. u ∈ [0, 10]; beyond
     * u = 10 erfc is below the float range anyway. Fit error 4.5e-8 in the exponent; the float evaluation is
     * then limited by the rounding of u² (≈ u²·6e-8 relative), negligible in absolute terms.
     */
    private static final float P0 = -1.265441439518106f;
    private static final float P1 = 0.9984925487554118f;
    private static final float P2 = 0.3878994359351764f;
    private static final float P3 = 0.028358562178501523f;
    private static final float P4 = 0.020191534699488534f;
    private static final float P5 = -0.11677887531395298f;
    private static final float P6 = -0.6512591830717838f;
    private static final float P7 = 1.122409185799643f;
    private static final float P8 = -0.6660666343174784f;
    private static final float P9 = 0.14219491007578375f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    /** |z| above which GELU is z (z &gt; 0) or below the smallest normal float (z &lt; 0). */
    private static final float ERFC_CUTOFF = 13f;

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

    /** Values per chunk of {@link #geluInPlace}: its two passes meet in an L1-resident scratch of 2 × this. */
    private static final int GELU_CHUNK = 256;
    /** Per thread: t and the fitted polynomial P(t) of one chunk, between the two passes. */
    private static final ThreadLocal<float[]> GELU_SCRATCH = ThreadLocal.withInitial(() -> new float[2 * GELU_CHUNK]);

    /**
     * a[j] = GELU(a[j]) for j in [from, to), with GELU(z) = 0.5·z·erfc(−z/√2) as described above; a tail shorter
     * than a vector goes through a small copy. The exponent −u² = −z²/2 is carried as an exact two-float
     * sum (z² split by FMA, then an error-free addition of the fitted correction), because rounding it to one
     * float would cost up to u²·6e-8 relative accuracy, 1e-6 already at |z| ≈ 4. e^x is written inline (see
     * {@link #expShiftedInPlace}) and the loops are in this method, so C2 keeps every constant in a register.
     *
     * <p>Two passes per chunk of {@value #GELU_CHUNK} values, through a small per-thread scratch: the first
     * computes t (a division) and the degree-9 polynomial, the second the exponent, e^x and the result. One vector
     * is ~90 instructions along a chain of dependent operations some 130 cycles long, and in one loop the
     * out-of-order core overlapped too few vectors: 2.1–2.6 ns per value on the 2-core AMD VM, 1.7 ns in two
     * passes, whose shorter bodies overlap better. Same operations in the same order: the results are bitwise those
     * of the one-loop form.
     */
    static void geluInPlace(float[] a, int from, int to) {
        float[] scratch = GELU_SCRATCH.get();
        int vectorEnd = from + (to - from) / L * L;
        for (int chunk = from; chunk < vectorEnd; chunk += GELU_CHUNK) {
            int end = Math.min(vectorEnd, chunk + GELU_CHUNK);
            for (int i = chunk; i < end; i += L) {
                FloatVector u = FloatVector.fromArray(S, a, i).abs().mul(INV_SQRT2);
                FloatVector t = ONE.div(u.fma(0.5f, 1f));
                FloatVector p = t.fma(P9, P8);
                p = p.fma(t, FloatVector.broadcast(S, P7));
                p = p.fma(t, FloatVector.broadcast(S, P6));
                p = p.fma(t, FloatVector.broadcast(S, P5));
                p = p.fma(t, FloatVector.broadcast(S, P4));
                p = p.fma(t, FloatVector.broadcast(S, P3));
                p = p.fma(t, FloatVector.broadcast(S, P2));
                p = p.fma(t, FloatVector.broadcast(S, P1));
                p = p.fma(t, FloatVector.broadcast(S, P0));
                t.intoArray(scratch, i - chunk);
                p.intoArray(scratch, GELU_CHUNK + i - chunk);
            }
            for (int i = chunk; i < end; i += L) {
                FloatVector z = FloatVector.fromArray(S, a, i);
                FloatVector t = FloatVector.fromArray(S, scratch, i - chunk);
                FloatVector p = FloatVector.fromArray(S, scratch, GELU_CHUNK + i - chunk);
                FloatVector abs = z.abs();
                FloatVector square = abs.mul(abs);
                FloatVector squareLow = abs.fma(abs, square.neg()); // z² = square + squareLow exactly
                FloatVector minusHalfSquare = square.mul(-0.5f);
                // TwoSum: exponent + exponentLow = p − z²/2 exactly (minus the low half of z²/2)
                FloatVector exponent = minusHalfSquare.add(p);
                FloatVector pPart = exponent.sub(minusHalfSquare);
                FloatVector exponentLow = minusHalfSquare.sub(exponent.sub(pPart)).add(p.sub(pPart))
                        .sub(squareLow.mul(0.5f));
                // e^exponent as in expShiftedInPlace, without range handling: |z| ≤ 13 keeps the exponent above
                // −87.3; beyond, erfc(u) < 2^-126 and the lanes are set to 0 below (NaN fails the comparison)
                FloatVector shifted = exponent.fma(LOG2E, ROUNDING_MAGIC);
                FloatVector n = shifted.sub(ROUNDING_MAGIC);
                FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HIGH), exponent); // exact product: one rounding
                r = n.fma(FloatVector.broadcast(S, -LN2_LOW), r);
                FloatVector e = r.fma(1f / 5040, 1f / 720);
                e = e.fma(r, FloatVector.broadcast(S, 1f / 120));
                e = e.fma(r, FloatVector.broadcast(S, 1f / 24));
                e = e.fma(r, FloatVector.broadcast(S, 1f / 6));
                e = e.fma(r, FloatVector.broadcast(S, 0.5f));
                e = e.fma(r, ONE);
                e = e.fma(r, ONE);
                e = e.mul((FloatVector) shifted.reinterpretAsInts()
                        .sub(Float.floatToRawIntBits(ROUNDING_MAGIC) - 127)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                FloatVector erfc = t.mul(e.fma(exponentLow, e)) // e^(x + δ) ≈ e^x·(1 + δ) for the tiny δ
                        .blend(0f, abs.compare(VectorOperators.GT, ERFC_CUTOFF));
                FloatVector twiceCdf = erfc.neg().add(2f).blend(erfc, z.lt(0f)); // 2·Φ(z) = erfc(−z/√2)
                z.mul(0.5f).mul(twiceCdf).intoArray(a, i);
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
