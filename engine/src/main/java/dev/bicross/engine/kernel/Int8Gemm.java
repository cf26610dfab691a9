package dev.bicross.engine.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight-only int8 GEMM ({@link Precision#INT8}): y = epilogue(x·(q·scale)ᵀ + b) with FP32 activations. The
 * weights are stored as int8 codes (a quarter of the FP32 bytes) in {@link VectorGemm}'s panel layout, and
 * {@link VectorGemm}'s driver and micro-kernel do the work: each K slice of a panel is widened and scaled to
 * float once per row block into a per-thread buffer (one 24 KB panel slice in L1 with 256-bit vectors, a sweep of
 * panels in L2 with 512-bit ones), which every row tile then reads. So
 * INT8 runs the FP32 kernel at the cost of one conversion per weight per row block, and streams a quarter of the
 * bytes from memory, which is what matters for short queries (their weights do not stay in cache).
 *
 * <p>The widening is {@code ByteVector → convertShape(B2F)}: on AVX2 one {@code vpmovsxbd} (load folded in) and
 * one {@code vcvtdq2ps} per L weights, then one multiply by the column scales.
 */
final class Int8Gemm {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    /** L bytes, but at least 64 bits (the narrowest byte species); the extra bytes are padding. */
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64.vectorBitSize() >= L * 8
            ? ByteVector.SPECIES_64 : VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int B_PADDING = B.length() - L;
    static final int NR = VectorGemm.NR;

    private Int8Gemm() {
    }

    /** Per thread: the K slices of one group of panels, widened to float; grown on demand. */
    private static final ThreadLocal<float[][]> SLICES = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * W quantized per output row, repacked as panels of NR output columns like {@link PanelWeights}: for panel p
     * and input k, the NR codes q[p·NR + c][k] side by side. Columns past {@code out} have code 0 and scale 0.
     *
     * @param scale (panels · NR) per-column dequantization scales
     */
    record Int8PanelWeights(byte[] data, float[] scale, int out, int in) implements VectorGemm.PanelSource {
        @Override
        public int panels() {
            return (out + NR - 1) / NR;
        }

        /**
         * buffer[((p − q0)·kc + k)·NR + c] = q[p·NR + c][k0 + k] · scale[p·NR + c] for the panels p of [q0, q1)
         * and k in [0, kc), in a per-thread buffer.
         */
        @Override
        public float[] prepare(int q0, int q1, int k0, int kc) {
            float[][] holder = SLICES.get();
            int size = (q1 - q0) * kc * NR;
            if (holder[0].length < size) {
                holder[0] = new float[size];
            }
            float[] slices = holder[0];
            for (int p = q0; p < q1; p++) {
                int base = (p * in + k0) * NR;
                int to = (p - q0) * kc * NR;
                FloatVector scale0 = FloatVector.fromArray(S, scale, p * NR);
                FloatVector scale1 = FloatVector.fromArray(S, scale, p * NR + L);
                for (int k = 0; k < kc; k++) {
                    widen(data, base + k * NR).mul(scale0).intoArray(slices, to + k * NR);
                    widen(data, base + k * NR + L).mul(scale1).intoArray(slices, to + k * NR + L);
                }
            }
            return slices;
        }

        @Override
        public int sliceOffset(int p, int q0, int k0, int kc) {
            return (p - q0) * kc * NR;
        }
    }

    static Int8PanelWeights pack(float[] weight, int out, int in) {
        QuantizedRows quantized = QuantizedRows.of(weight, out, in);
        int panels = (out + NR - 1) / NR;
        byte[] data = new byte[Math.addExact(Math.multiplyExact(Math.multiplyExact(panels, in), NR), B_PADDING)];
        float[] scale = new float[panels * NR];
        for (int o = 0; o < out; o++) {
            int base = (o / NR) * in * NR + o % NR;
            for (int k = 0; k < in; k++) {
                data[base + k * NR] = quantized.q()[o * in + k];
            }
            scale[o] = quantized.scale()[o];
        }
        return new Int8PanelWeights(data, scale, out, in);
    }

    private static FloatVector widen(byte[] w, int offset) {
        return (FloatVector) ByteVector.fromArray(B, w, offset).convertShape(VectorOperators.B2F, S, 0);
    }
}
