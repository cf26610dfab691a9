package dev.bicross.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = epilogue(x·Wᵀ + b) on {@link PanelWeights}, after the GotoBLAS/BLIS loop structure:
 * <pre>
 *   for each block of ROW_BLOCK rows and group of panels      (a task; tasks run in parallel)
 *     for each K_BLOCK slice of the inputs
 *       pack the block's x slice as tiles of MR rows, k-major     (xp[tile][k][MR], L2-resident)
 *       for each panel of NR = L output columns                   (its K slice, ≤ 12 KB, stays in L1)
 *         for each tile of MR rows: micro-kernel                  (MR vector accumulators in registers)
 *     bias + activation on the finished block
 * </pre>
 * The micro-kernel is MR = 8 rows × 1 vector: per k it loads one vector of the panel and FMAs it with the eight
 * broadcast x values (broadcast-from-memory is a pure load on x86, so it costs no FMA-port slot). Measured on
 * Zen (AVX2, 16 ymm registers) this beat the 4×3, 3×4, 6×2 and 4×2 tiles, which all need ≥ 11 live vectors and
 * make C2 spill (8 accumulators + 1 operand fit; 8 independent chains cover FMA latency × 2 pipes).
 * Partial sums of earlier K slices live in y. Row tails duplicate the last row in the packed tile (computed,
 * not stored); column tails are zero in the panel and cut off when merging into y.
 */
final class VectorGemm {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    static final int MR = 8;
    static final int NR = L;
    static final int ROW_BLOCK = 64;
    static final int K_BLOCK = 384;

    private VectorGemm() {
    }

    static PanelWeights pack(float[] weight, int out, int in) {
        return PanelWeights.pack(weight, out, in, NR);
    }

    /** Per thread: packed x block (ROW_BLOCK × K_BLOCK) and one MR × NR tile of results. */
    private record Scratch(float[] xp, float[] tile) {
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(
            () -> new Scratch(new float[ROW_BLOCK * K_BLOCK], new float[MR * NR]));

    static void linear(WorkerPool pool, float[] x, int rows, PanelWeights w, float[] bias, Epilogue epilogue,
                       float[] y) {
        if (rows == 0) {
            return;
        }
        int panels = w.panels();
        int rowBlocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        // Few rows (a short query, the pooler): split the panels too, so every thread gets work.
        int wantedTasks = 4 * pool.threads();
        int panelGroups = Math.min(panels, Math.max(1, (wantedTasks + rowBlocks - 1) / rowBlocks));
        if ((long) rows * w.in() * w.out() < 1L << 16) {
            panelGroups = 1; // too small to be worth waking threads
        }
        int groups = panelGroups;
        int panelsPerGroup = (panels + groups - 1) / groups;
        pool.run(rowBlocks * groups, task -> {
            int r0 = (task / groups) * ROW_BLOCK;
            int p0 = (task % groups) * panelsPerGroup;
            block(x, rows, r0, Math.min(rows, r0 + ROW_BLOCK), w, p0, Math.min(panels, p0 + panelsPerGroup),
                    bias, epilogue, y);
        });
    }

    private static void block(float[] x, int rows, int r0, int r1, PanelWeights w, int p0, int p1, float[] bias,
                              Epilogue epilogue, float[] y) {
        int in = w.in();
        int out = w.out();
        Scratch scratch = SCRATCH.get();
        float[] xp = scratch.xp();
        float[] tile = scratch.tile();
        for (int k0 = 0; k0 < in; k0 += K_BLOCK) {
            int kc = Math.min(in, k0 + K_BLOCK) - k0;
            packRows(x, in, rows, r0, r1, k0, kc, xp);
            for (int p = p0; p < p1; p++) {
                int wOffset = (p * in + k0) * NR;
                for (int r = r0; r < r1; r += MR) {
                    kernel(xp, (r - r0) * kc, w.data(), wOffset, kc, tile);
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

    /**
     * xp[t][k][i] = x[r0 + t·MR + i][k0 + k]: rows r0 … r1−1 in tiles of MR, k-major inside a tile; rows past r1
     * repeat row r1−1 so the kernel never needs a row tail.
     */
    private static void packRows(float[] x, int in, int rows, int r0, int r1, int k0, int kc, float[] xp) {
        int[] source = new int[MR];
        for (int t = 0; r0 + t * MR < r1; t++) {
            for (int i = 0; i < MR; i++) {
                source[i] = Math.min(r0 + t * MR + i, r1 - 1) * in + k0;
            }
            int s0 = source[0];
            int s1 = source[1];
            int s2 = source[2];
            int s3 = source[3];
            int s4 = source[4];
            int s5 = source[5];
            int s6 = source[6];
            int s7 = source[7];
            int dst = t * MR * kc;
            // k-outer: eight sequential read streams, one sequential write stream
            for (int k = 0; k < kc; k++, dst += MR) {
                xp[dst] = x[s0 + k];
                xp[dst + 1] = x[s1 + k];
                xp[dst + 2] = x[s2 + k];
                xp[dst + 3] = x[s3 + k];
                xp[dst + 4] = x[s4 + k];
                xp[dst + 5] = x[s5 + k];
                xp[dst + 6] = x[s6 + k];
                xp[dst + 7] = x[s7 + k];
            }
        }
    }

    /**
     * The MR × 1-vector micro-kernel over kc inputs: tile[i] = Σ_k xp[xOffset + k·MR + i] · w[wOffset + k·L …].
     * Unrolled four times by hand (C2 does not unroll a body this large, and the loop overhead is measurable).
     * Vectors never leave this method as arguments: C2 keeps them in registers only within one compiled method.
     */
    private static void kernel(float[] xp, int xOffset, float[] w, int wOffset, int kc, float[] tile) {
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
            int xk = xOffset + q * 32;
            int wk = wOffset + q * 4 * L;
            b = FloatVector.fromArray(S, w, wk);
            c0 = FloatVector.broadcast(S, xp[xk]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 7]).fma(b, c7);
            b = FloatVector.fromArray(S, w, wk + 1 * L);
            c0 = FloatVector.broadcast(S, xp[xk + 8]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 9]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 10]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 11]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 12]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 13]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 14]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 15]).fma(b, c7);
            b = FloatVector.fromArray(S, w, wk + 2 * L);
            c0 = FloatVector.broadcast(S, xp[xk + 16]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 17]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 18]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 19]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 20]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 21]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 22]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 23]).fma(b, c7);
            b = FloatVector.fromArray(S, w, wk + 3 * L);
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
            int xk = xOffset + k * 8;
            int wk = wOffset + k * L;
            b = FloatVector.fromArray(S, w, wk);
            c0 = FloatVector.broadcast(S, xp[xk]).fma(b, c0);
            c1 = FloatVector.broadcast(S, xp[xk + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, xp[xk + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, xp[xk + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, xp[xk + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, xp[xk + 5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, xp[xk + 6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, xp[xk + 7]).fma(b, c7);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, 1 * L);
        c2.intoArray(tile, 2 * L);
        c3.intoArray(tile, 3 * L);
        c4.intoArray(tile, 4 * L);
        c5.intoArray(tile, 5 * L);
        c6.intoArray(tile, 6 * L);
        c7.intoArray(tile, 7 * L);
    }

    /** y[r+i][col …] (+)= tile[i] for the valid rows and the columns inside {@code out}. */
    private static void merge(float[] tile, float[] y, int r, int valid, int col, int out, boolean first) {
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
