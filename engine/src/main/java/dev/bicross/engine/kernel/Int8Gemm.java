package dev.bicross.engine.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight-only int8 GEMM ({@link Precision#INT8}): y = epilogue(x·(q·scale)ᵀ + b) with FP32 activations and the
 * int8 weight codes widened to float inside the micro-kernel. Same loop structure as {@link VectorGemm} (row
 * blocks × panel groups in parallel, K blocks, x packed as MR-row tiles, MR × 1-vector register tile); the only
 * differences are the panel, which holds bytes (a quarter of the memory traffic), and the per-column scale, one
 * vector per panel, multiplied into the accumulators once per tile (scale is per output column = per lane).
 *
 * <p>The widening is {@code ByteVector → convertShape(B2F)}: on AVX2 one {@code vpmovsxbd} (with the load folded
 * in) and one {@code vcvtdq2ps} per L weights, shared by the MR FMAs that use them.
 */
final class Int8Gemm {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    /** L bytes, but at least 64 bits (the narrowest byte species); the extra bytes are padding. */
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64.vectorBitSize() >= L * 8
            ? ByteVector.SPECIES_64 : VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int B_PADDING = B.length() - L;
    static final int MR = 8;
    static final int NR = L;
    static final int ROW_BLOCK = 64;
    static final int K_BLOCK = 384;

    private Int8Gemm() {
    }

    /**
     * W quantized per output row, repacked as panels of NR output columns like {@link PanelWeights}: for panel p
     * and input k, the NR codes q[p·NR + c][k] side by side. Columns past {@code out} have code 0 and scale 0.
     *
     * @param scale (panels · NR) per-column dequantization scales
     */
    record Int8PanelWeights(byte[] data, float[] scale, int out, int in) implements PackedWeights {
        int panels() {
            return (out + NR - 1) / NR;
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

    /** Per thread: packed x block, one result tile, and one panel's K slice widened to float. */
    private record Scratch(float[] xp, float[] tile, float[] panel) {
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(
            () -> new Scratch(new float[ROW_BLOCK * K_BLOCK], new float[MR * NR], new float[K_BLOCK * NR]));

    /**
     * From this many MR-row tiles per block on, a panel's K slice is widened to float once (into L1) and shared
     * by the tiles; below it (a short query) each tile widens the bytes itself, which keeps the weight traffic
     * at one byte per weight.
     */
    static final int WIDEN_ONCE_TILES = 2;

    static void linear(WorkerPool pool, float[] x, int rows, Int8PanelWeights w, float[] bias, Epilogue epilogue,
                       float[] y) {
        if (rows == 0) {
            return;
        }
        int panels = w.panels();
        int rowBlocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        int wantedTasks = 4 * pool.threads();
        int panelGroups = Math.min(panels, Math.max(1, (wantedTasks + rowBlocks - 1) / rowBlocks));
        if ((long) rows * w.in() * w.out() < 1L << 16) {
            panelGroups = 1;
        }
        int groups = panelGroups;
        int panelsPerGroup = (panels + groups - 1) / groups;
        pool.run(rowBlocks * groups, task -> {
            int r0 = (task / groups) * ROW_BLOCK;
            int p0 = (task % groups) * panelsPerGroup;
            block(x, r0, Math.min(rows, r0 + ROW_BLOCK), w, p0, Math.min(panels, p0 + panelsPerGroup), bias,
                    epilogue, y);
        });
    }

    private static void block(float[] x, int r0, int r1, Int8PanelWeights w, int p0, int p1, float[] bias,
                              Epilogue epilogue, float[] y) {
        int in = w.in();
        int out = w.out();
        Scratch scratch = SCRATCH.get();
        float[] xp = scratch.xp();
        float[] tile = scratch.tile();
        for (int k0 = 0; k0 < in; k0 += K_BLOCK) {
            int kc = Math.min(in, k0 + K_BLOCK) - k0;
            packRows(x, in, r0, r1, k0, kc, xp);
            boolean widenOnce = (r1 - r0 + MR - 1) / MR >= WIDEN_ONCE_TILES;
            for (int p = p0; p < p1; p++) {
                int wOffset = (p * in + k0) * NR;
                if (widenOnce) {
                    widenPanel(w.data(), wOffset, kc, scratch.panel());
                }
                for (int r = r0; r < r1; r += MR) {
                    if (widenOnce) {
                        floatKernel(xp, (r - r0) * kc, scratch.panel(), kc, w.scale(), p * NR, tile);
                    } else {
                        kernel(xp, (r - r0) * kc, w.data(), wOffset, kc, w.scale(), p * NR, tile);
                    }
                    merge(tile, y, r, Math.min(MR, r1 - r), p * NR, out, k0 == 0);
                }
            }
        }
        int c0 = p0 * NR;
        int c1 = Math.min(out, p1 * NR);
        for (int r = r0; r < r1; r++) {
            VectorMath.addBiasAndActivate(y, r * out + c0, bias, c0, c1 - c0, epilogue);
        }
    }

    /** xp[t][k][i] = x[r0 + t·MR + i][k0 + k]; rows past r1 repeat row r1−1 (computed, never stored). */
    private static void packRows(float[] x, int in, int r0, int r1, int k0, int kc, float[] xp) {
        for (int t = 0; r0 + t * MR < r1; t++) {
            int dst = t * MR * kc;
            for (int i = 0; i < MR; i++) {
                int source = Math.min(r0 + t * MR + i, r1 - 1) * in + k0;
                for (int k = 0; k < kc; k++) {
                    xp[dst + k * MR + i] = x[source + k];
                }
            }
        }
    }

    private static FloatVector widen(byte[] w, int offset) {
        return (FloatVector) ByteVector.fromArray(B, w, offset).convertShape(VectorOperators.B2F, S, 0);
    }

    /** panel[k·NR + c] = (float) q[wOffset + k·NR + c] for k in [0, kc). */
    private static void widenPanel(byte[] w, int wOffset, int kc, float[] panel) {
        for (int k = 0; k < kc; k++) {
            widen(w, wOffset + k * NR).intoArray(panel, k * NR);
        }
    }

    /**
     * {@link #kernel} on a panel slice already widened to float: the FP32 micro-kernel of {@link VectorGemm}
     * (unrolled four times), then the per-column scale.
     */
    private static void floatKernel(float[] xp, int xOffset, float[] w, int kc, float[] scale, int col,
                                    float[] tile) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        FloatVector c4 = c0;
        FloatVector c5 = c0;
        FloatVector c6 = c0;
        FloatVector c7 = c0;
        FloatVector b;
        int steps = kc / 4;
        for (int q = 0; q < steps; q++) {
            int xk = xOffset + q * 4 * MR;
            int wk = q * 4 * NR;
            b = FloatVector.fromArray(S, w, wk);
            c0 = FloatVector.broadcast(S, xp[xk]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 7]).fma(b, c7);
            b = FloatVector.fromArray(S, w, wk + NR);
            c0 = FloatVector.broadcast(S, xp[xk + 8]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 9]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 10]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 11]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 12]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 13]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 14]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 15]).fma(b, c7);
            b = FloatVector.fromArray(S, w, wk + 2 * NR);
            c0 = FloatVector.broadcast(S, xp[xk + 16]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 17]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 18]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 19]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 20]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 21]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 22]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 23]).fma(b, c7);
            b = FloatVector.fromArray(S, w, wk + 3 * NR);
            c0 = FloatVector.broadcast(S, xp[xk + 24]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 25]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 26]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 27]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 28]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 29]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 30]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 31]).fma(b, c7);
        }
        for (int k = steps * 4; k < kc; k++) {
            int xk = xOffset + k * MR;
            b = FloatVector.fromArray(S, w, k * NR);
            c0 = FloatVector.broadcast(S, xp[xk]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 7]).fma(b, c7);
        }
        FloatVector s = FloatVector.fromArray(S, scale, col);
        c0.mul(s).intoArray(tile, 0);
        c1.mul(s).intoArray(tile, L);
        c2.mul(s).intoArray(tile, 2 * L);
        c3.mul(s).intoArray(tile, 3 * L);
        c4.mul(s).intoArray(tile, 4 * L);
        c5.mul(s).intoArray(tile, 5 * L);
        c6.mul(s).intoArray(tile, 6 * L);
        c7.mul(s).intoArray(tile, 7 * L);
    }

    /**
     * tile[i] = scale[col …] · Σ_k xp[xOffset + k·MR + i] · q[wOffset + k·NR …], unrolled twice. One widened
     * weight vector feeds eight broadcast FMAs.
     */
    private static void kernel(float[] xp, int xOffset, byte[] w, int wOffset, int kc, float[] scale, int col,
                               float[] tile) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        FloatVector c4 = c0;
        FloatVector c5 = c0;
        FloatVector c6 = c0;
        FloatVector c7 = c0;
        FloatVector b;
        int steps = kc / 2;
        for (int q = 0; q < steps; q++) {
            int xk = xOffset + q * 2 * MR;
            int wk = wOffset + q * 2 * NR;
            b = widen(w, wk);
            c0 = FloatVector.broadcast(S, xp[xk]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 7]).fma(b, c7);
            b = widen(w, wk + NR);
            c0 = FloatVector.broadcast(S, xp[xk + 8]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 9]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 10]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 11]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 12]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 13]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 14]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 15]).fma(b, c7);
        }
        if (kc % 2 != 0) {
            int xk = xOffset + (kc - 1) * MR;
            b = widen(w, wOffset + (kc - 1) * NR);
            c0 = FloatVector.broadcast(S, xp[xk]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 7]).fma(b, c7);
        }
        FloatVector s = FloatVector.fromArray(S, scale, col);
        c0.mul(s).intoArray(tile, 0);
        c1.mul(s).intoArray(tile, L);
        c2.mul(s).intoArray(tile, 2 * L);
        c3.mul(s).intoArray(tile, 3 * L);
        c4.mul(s).intoArray(tile, 4 * L);
        c5.mul(s).intoArray(tile, 5 * L);
        c6.mul(s).intoArray(tile, 6 * L);
        c7.mul(s).intoArray(tile, 7 * L);
    }

    /** y[r+i][col …] (+)= tile[i] for the valid rows and the columns inside {@code out}. */
    static void merge(float[] tile, float[] y, int r, int valid, int col, int out, boolean first) {
        int width = Math.min(NR, out - col);
        for (int i = 0; i < valid; i++) {
            int yRow = (r + i) * out + col;
            if (width == L) {
                FloatVector v = FloatVector.fromArray(S, tile, i * NR);
                if (!first) {
                    v = v.add(FloatVector.fromArray(S, y, yRow));
                }
                v.intoArray(y, yRow);
            } else {
                for (int c = 0; c < width; c++) {
                    y[yRow + c] = first ? tile[i * NR + c] : y[yRow + c] + tile[i * NR + c];
                }
            }
        }
    }
}
