package dev.bicross.engine.kernel;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = epilogue(x·Wᵀ + b) on weights cut into panels ({@link PanelSource}: FP32 {@link PanelWeights} in place, or
 * int8 panels that {@link Int8Gemm} widens slice by slice), after the GotoBLAS/BLIS loop structure:
 * <pre>
 *   for each block of ROW_BLOCK rows and group of panels      (a task; tasks run in parallel)
 *     for each K_BLOCK slice of the inputs
 *       copy the block's rows of the slice to a per-thread buffer, row stride the constant K_BLOCK
 *       256-bit vectors:
 *         for each panel of NR = 2 vectors of output columns     (its K slice, 24 KB, stays in L1)
 *           for each tile of MR = 6 rows: micro-kernel
 *       512-bit vectors (a panel's K slice is 48 KB, more than L1):
 *         for each sweep of panels (≤ 384 KB of K slices, L2-resident)
 *           for each tile of WIDE_MR = 12 rows                    (its 18 KB of rows stay in L1)
 *             for each panel of the sweep: micro-kernel
 *   after the last K slice: the activation, one pass per row over the block's columns (L2-resident)
 * </pre>
 * The bias is not a pass of its own: it is the accumulators' start value in the first K slice; later slices start
 * from the partial sums in y.
 *
 * <p>The micro-kernel is MR = 6 rows × 2 vectors (the shape of BLIS's Haswell/Zen kernel): per k it loads the two
 * panel vectors and broadcasts six x values (a broadcast from memory is a pure load on x86), then issues twelve
 * FMAs: 12 accumulators + 2 operands + 1 broadcast = 15 of the 16 ymm registers, and 8 loads per 12 FMAs. With
 * 512-bit vectors there are 32 registers, and the tile is 12 × 2: 24 accumulators, and half the panel bytes per
 * FMA, which matters there because the panels stream from L2 (one Zen 4 core: 88–90% of the FMA peak with 6
 * rows, 90–94% with 12).
 *
 * <p>Why the copy of the rows: read in place, every row of a tile needs its own address register, and six of
 * them plus the loop's own values already made C2 spill (twelve did not fit at all: the 12-row tile lost to the
 * 6-row one). From the buffer one register and constant displacements address every row: 1.2× on the 6 × 2 tile
 * at 256 bits, and what made the 12-row tile pay at 512. The copy is a few arraycopy calls per block and slice.
 *
 * <p>Partial sums of earlier K slices live in y. A row tail of at most four rows runs on a 4 × 2 tile (a 10-token
 * query is 6 + 4 rows at 256 bits); a tile's rows past the last valid one repeat it (computed, not stored). Column
 * tails are zero in the panel and cut off when storing. Every tile sums in the same order, so the bits do not
 * depend on which one computed a row.
 */
final class VectorGemm {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    static final int MR = 6;
    /** Rows of the 512-bit GEMM's wide tile ({@link #wideKernel}). */
    static final int WIDE_MR = 12;
    static final int NR = 2 * L;
    static final int ROW_BLOCK = 48;
    static final int K_BLOCK = 384;
    /**
     * Loop order inside a block. With 512-bit vectors a panel's K slice is 48 KB, more than Zen 4's 32 KB L1, so
     * it comes from L2 for every row tile whatever the order; keeping the tile's rows (≤ 9 KB) in L1 instead and
     * sweeping the panels under it measured 3–5 points of the FMA peak better (84 → 88% on 384→384, 85 → 90% on
     * 384→1536, one core). With 256-bit vectors the slice fits L1 and panel-outer is the better order. Int8
     * panels follow the same order: a sweep's slices are widened once per block into a per-thread buffer.
     */
    static final boolean TILE_OUTER = L >= 16;
    /** Panels per sweep under one row tile in the tile-outer order: their K slices fill at most this (L2). */
    static final int SWEEP_BYTES = 384 * 1024;

    /** Per thread: a block's rows of one K slice at the row stride K_BLOCK ({@link #copyBlockRows}). */
    private static final ThreadLocal<float[]> BLOCK_ROWS =
            ThreadLocal.withInitial(() -> new float[ROW_BLOCK * K_BLOCK]);

    static {
        if (ROW_BLOCK % WIDE_MR != 0) {
            throw new AssertionError("a row block must be whole wide tiles");
        }
    }

    private VectorGemm() {
    }

    static PanelWeights pack(float[] weight, int out, int in) {
        return PanelWeights.pack(weight, out, in, NR);
    }

    /**
     * Weights as NR-wide panels: panel p holds, for k = 0 … in−1, the NR values W[p·NR + c][k] side by side (columns
     * past {@code out} zero). The driver prepares the K slice of a group of panels once per row block and then
     * runs the micro-kernel on it for every row tile of the block, so a slice that must be produced (widened from
     * int8) is produced once per block.
     */
    interface PanelSource extends PackedWeights {
        /** Number of panels: ⌈out / NR⌉. */
        int panels();

        /**
         * The array holding the inputs [k0, k0 + kc) of panels [q0, q1), each as kc runs of NR floats starting at
         * {@link #sliceOffset}. May return a per-thread buffer, valid until the next call on the same thread.
         */
        float[] prepare(int q0, int q1, int k0, int kc);

        /** Where panel p's runs start in the array {@link #prepare}(q0, …, k0, kc) returned. */
        int sliceOffset(int p, int q0, int k0, int kc);
    }

    /** NR zeros: the accumulators' start value when there is no bias. */
    private static final float[] NO_BIAS = new float[NR];

    /** Per thread: one MR × NR tile of results, for the column tail of the last panel. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /** y = epilogue(x·Wᵀ + b), row-major (rows × out). */
    static void linear(WorkerPool pool, float[] x, int rows, PanelSource w, float[] bias, Epilogue epilogue,
                       float[] y) {
        linear(pool, x, rows, w, bias, epilogue, y, w.out());
    }

    /**
     * y = epilogue(x·Wᵀ + b) stored by groups of {@code groupWidth} output columns, each group a contiguous
     * (rows × groupWidth) matrix (see {@link Kernels#linearHeadMajor}); groupWidth = out is the row-major layout.
     * Other widths must be a multiple of NR (a panel never straddles two groups) and take no epilogue.
     */
    static void linear(WorkerPool pool, float[] x, int rows, PanelSource w, float[] bias, Epilogue epilogue,
                       float[] y, int groupWidth) {
        if (groupWidth != w.out() && (groupWidth % NR != 0 || epilogue != Epilogue.NONE)) {
            throw new IllegalArgumentException("column groups of " + groupWidth + " need a multiple of " + NR
                    + " and no epilogue");
        }
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
            block(x, r0, Math.min(rows, r0 + ROW_BLOCK), w, p0, Math.min(panels, p0 + panelsPerGroup),
                    bias, epilogue, y, rows, groupWidth);
        });
    }

    private static void block(float[] x, int r0, int r1, PanelSource w, int p0, int p1, float[] bias,
                              Epilogue epilogue, float[] y, int rows, int groupWidth) {
        int in = w.in();
        int out = w.out();
        for (int k0 = 0; k0 < in; k0 += K_BLOCK) {
            int kc = Math.min(in, k0 + K_BLOCK) - k0;
            float[] blockRows = copyBlockRows(x, in, r0, r1, k0, kc);
            if (TILE_OUTER) {
                // a sweep of panels (≤ SWEEP_BYTES, L2-resident) under each wide row tile, whose rows stay in L1
                int sweep = Math.max(1, SWEEP_BYTES / (kc * NR * Float.BYTES));
                for (int q0 = p0; q0 < p1; q0 += sweep) {
                    int q1 = Math.min(p1, q0 + sweep);
                    float[] data = w.prepare(q0, q1, k0, kc);
                    for (int r = r0; r < r1; r += WIDE_MR) {
                        for (int p = q0; p < q1; p++) {
                            bufferedTile(blockRows, r - r0, r, r1, WIDE_MR, w, p, data,
                                    w.sliceOffset(p, q0, k0, kc), k0, kc, bias, y, rows, groupWidth);
                        }
                    }
                }
            } else {
                // each panel's K slice (L1-resident with 256-bit vectors) under every tile of six rows
                for (int p = p0; p < p1; p++) {
                    float[] data = w.prepare(p, p + 1, k0, kc);
                    int wOffset = w.sliceOffset(p, p, k0, kc);
                    for (int r = r0; r < r1; r += MR) {
                        bufferedTile(blockRows, r - r0, r, r1, MR, w, p, data, wOffset, k0, kc, bias, y, rows,
                                groupWidth);
                    }
                }
            }
        }
        if (epilogue != Epilogue.NONE) {
            // rows of this block are final: one long loop per row (the block's rows are still in L2)
            int c0 = p0 * NR;
            int c1 = Math.min(out, p1 * NR);
            for (int r = r0; r < r1; r++) {
                VectorMath.activate(y, r * out + c0, c1 - c0, epilogue);
            }
        }
    }

    /**
     * The block's rows [r0, r1) of the K slice [k0, k0 + kc) into the per-thread buffer, row i at i·K_BLOCK, and
     * past r1 up to whole wide tiles copies of the last row (computed, not stored). The micro-kernels then address
     * every row of a tile from one register with constant displacements; reading the rows in place took one
     * register per row, and C2 spilled the loop's own values to fit them.
     */
    private static float[] copyBlockRows(float[] x, int in, int r0, int r1, int k0, int kc) {
        float[] blockRows = BLOCK_ROWS.get();
        int n = r1 - r0;
        int padded = (n + WIDE_MR - 1) / WIDE_MR * WIDE_MR;
        for (int i = 0; i < padded; i++) {
            System.arraycopy(x, (r0 + Math.min(i, n - 1)) * in + k0, blockRows, i * K_BLOCK, kc);
        }
        return blockRows;
    }

    /** Where row r of the panel starting at column col begins in y: its group's (rows × groupWidth) matrix. */
    private static int yOffset(int col, int r, int rows, int groupWidth) {
        return col / groupWidth * rows * groupWidth + col % groupWidth + r * groupWidth;
    }

    /**
     * Rows r … min(r + tileRows, r1) − 1 (tileRows: MR or WIDE_MR) of panel p over the K slice [k0, k0 + kc),
     * their inputs from row xRow of {@link #copyBlockRows}' buffer: a full panel's whole tile on
     * {@link #bufferedKernel} (six rows) or {@link #wideKernel} (seven to twelve), anything else (a row tail, the
     * last, partial panel) on {@link #kernel} six rows at a time.
     */
    private static void bufferedTile(float[] blockRows, int xRow, int r, int r1, int tileRows, PanelSource w, int p,
                                     float[] data, int wOffset, int k0, int kc, float[] bias, float[] y, int rows,
                                     int groupWidth) {
        int valid = Math.min(tileRows, r1 - r);
        int col = p * NR;
        boolean first = k0 == 0;
        boolean fullPanel = col + NR <= w.out();
        if (fullPanel && valid > MR) {
            wideKernel(blockRows, xRow * K_BLOCK, data, wOffset, kc, first ? bias : null, col, y,
                    yOffset(col, r, rows, groupWidth), groupWidth, valid, first);
        } else if (fullPanel && valid == MR) {
            bufferedKernel(blockRows, xRow * K_BLOCK, data, wOffset, kc, first ? bias : null, col, y,
                    yOffset(col, r, rows, groupWidth), groupWidth, first);
        } else {
            int xLast = xRow + (r1 - r) - 1;
            for (int t = 0; t < valid; t += MR) {
                tile(blockRows, xRow + t, xLast, r + t, Math.min(MR, valid - t), w, p, data, wOffset, k0, kc, bias,
                        y, rows, groupWidth);
            }
        }
    }

    /**
     * Rows r … r + valid − 1 (valid ≤ MR) of panel p over the K slice [k0, k0 + kc), whose runs start at
     * data[wOffset], through {@link #kernel}; their inputs are rows xRow … of {@link #copyBlockRows}' buffer (rows
     * past xLast read xLast).
     */
    private static void tile(float[] blockRows, int xRow, int xLast, int r, int valid, PanelSource w, int p,
                             float[] data, int wOffset, int k0, int kc, float[] bias, float[] y, int rows,
                             int groupWidth) {
        int out = w.out();
        boolean first = k0 == 0;
        int col = p * NR;
        int width = Math.min(NR, out - col);
        int yOffset = yOffset(col, r, rows, groupWidth);
        if (width == NR) {
            // the bias is the accumulators' start value, in the first K slice only
            kernel(blockRows, K_BLOCK, xRow, xLast, 0, data, wOffset, kc, first ? bias : null, col, y, yOffset,
                    groupWidth, valid, first);
        } else {
            // the last panel when out is not a multiple of NR: through a full-width tile
            float[] tile = TILE.get();
            float[] tileBias = first && bias != null ? Arrays.copyOfRange(bias, col, col + NR) : null;
            if (!first) {
                copyRows(y, yOffset, groupWidth, tile, 0, NR, valid, width); // the partial sums so far
            }
            kernel(blockRows, K_BLOCK, xRow, xLast, 0, data, wOffset, kc, tileBias, 0, tile, 0, NR, valid, first);
            copyRows(tile, 0, NR, y, yOffset, groupWidth, valid, width);
        }
    }

    /**
     * The micro-kernel over kc inputs starting at k0, rows r … r+valid−1 of x (rows past {@code lastRow} read
     * {@code lastRow}): c[i][v] = start + Σ_k x[r+i][k0+k] · w[wOffset + k·NR + v·L …], stored to
     * {@code c[cOffset + i·ldc …]} for the {@code valid} (≤ MR) rows, where the start is bias[biasOffset + v·L …]
     * (zero when {@code bias} is null) when {@code first}, and otherwise the partial sums already in c, which the
     * FMAs continue: a sum runs in the same order whatever the K slicing. {@link VectorAttention} runs its two products
     * on it too. The MR × 2-vector tile, or the 4 × 2 one for up to four rows: two methods, because vectors never
     * leave a method (C2 keeps them in registers only within one compiled method).
     */
    static void kernel(float[] x, int in, int r, int lastRow, int k0, float[] w, int wOffset, int kc,
                       float[] bias, int biasOffset, float[] c, int cOffset, int ldc, int valid, boolean first) {
        if (valid <= SHORT_MR) {
            shortKernel(x, in, r, lastRow, k0, w, wOffset, kc, bias, biasOffset, c, cOffset, ldc, valid, first);
        } else {
            fullKernel(x, in, r, lastRow, k0, w, wOffset, kc, bias, biasOffset, c, cOffset, ldc, valid, first);
        }
    }

    /** The MR-row micro-kernel of {@link #kernel}. */
    private static void fullKernel(float[] x, int in, int r, int lastRow, int k0, float[] w, int wOffset, int kc,
                                   float[] bias, int biasOffset, float[] c, int cOffset, int ldc, int valid,
                                   boolean first) {
        int x0 = Math.min(r, lastRow) * in + k0;
        int x1 = Math.min(r + 1, lastRow) * in + k0;
        int x2 = Math.min(r + 2, lastRow) * in + k0;
        int x3 = Math.min(r + 3, lastRow) * in + k0;
        int x4 = Math.min(r + 4, lastRow) * in + k0;
        int x5 = Math.min(r + 5, lastRow) * in + k0;
        // where each row's sums start: the bias (or zeros) in the first K slice, later the row's partial sums in c
        // (rows past the last valid one read that one); never a conditional vector expression: C2 boxes vectors
        // merged from two branches
        float[] s = first ? (bias == null ? NO_BIAS : bias) : c;
        int s0 = first ? (bias == null ? 0 : biasOffset) : cOffset;
        int step = first ? 0 : ldc;
        int last = valid - 1;
        FloatVector c00 = FloatVector.fromArray(S, s, s0);
        FloatVector c01 = FloatVector.fromArray(S, s, s0 + L);
        int s1 = s0 + Math.min(1, last) * step;
        FloatVector c10 = FloatVector.fromArray(S, s, s1);
        FloatVector c11 = FloatVector.fromArray(S, s, s1 + L);
        int s2 = s0 + Math.min(2, last) * step;
        FloatVector c20 = FloatVector.fromArray(S, s, s2);
        FloatVector c21 = FloatVector.fromArray(S, s, s2 + L);
        int s3 = s0 + Math.min(3, last) * step;
        FloatVector c30 = FloatVector.fromArray(S, s, s3);
        FloatVector c31 = FloatVector.fromArray(S, s, s3 + L);
        int s4 = s0 + Math.min(4, last) * step;
        FloatVector c40 = FloatVector.fromArray(S, s, s4);
        FloatVector c41 = FloatVector.fromArray(S, s, s4 + L);
        int s5 = s0 + Math.min(5, last) * step;
        FloatVector c50 = FloatVector.fromArray(S, s, s5);
        FloatVector c51 = FloatVector.fromArray(S, s, s5 + L);
        for (int k = 0; k < kc; k++) {
            int wk = wOffset + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, w, wk);
            FloatVector b1 = FloatVector.fromArray(S, w, wk + L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, x[x1 + k]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, x[x2 + k]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, x[x3 + k]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, x[x4 + k]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, x[x5 + k]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        // stored here, not through a helper: a helper whose call site C2 saw rarely (a row that earlier calls
        // seldom filled) is not inlined, and the vectors passed to it are then boxed on every call
        c00.intoArray(c, cOffset);
        c01.intoArray(c, cOffset + L);
        if (valid > 1) {
            c10.intoArray(c, cOffset + ldc);
            c11.intoArray(c, cOffset + ldc + L);
        }
        if (valid > 2) {
            c20.intoArray(c, cOffset + 2 * ldc);
            c21.intoArray(c, cOffset + 2 * ldc + L);
        }
        if (valid > 3) {
            c30.intoArray(c, cOffset + 3 * ldc);
            c31.intoArray(c, cOffset + 3 * ldc + L);
        }
        if (valid > 4) {
            c40.intoArray(c, cOffset + 4 * ldc);
            c41.intoArray(c, cOffset + 4 * ldc + L);
        }
        if (valid > 5) {
            c50.intoArray(c, cOffset + 5 * ldc);
            c51.intoArray(c, cOffset + 5 * ldc + L);
        }
    }

    /** Rows a row tail of at most this many runs on {@link #shortKernel} instead of the full MR-row tile. */
    static final int SHORT_MR = 4;

    /**
     * {@link #kernel} for a tail of at most {@link #SHORT_MR} valid rows (a 10-token query's second tile, the last
     * query rows of an attention head): four rows × 2 vectors, so a tail of four computes four rows, not six.
     * Same sums in the same order per row as the full tile, so the results are the same to the bit.
     */
    private static void shortKernel(float[] x, int in, int r, int lastRow, int k0, float[] w, int wOffset, int kc,
                                    float[] bias, int biasOffset, float[] c, int cOffset, int ldc, int valid,
                                    boolean first) {
        int x0 = Math.min(r, lastRow) * in + k0;
        int x1 = Math.min(r + 1, lastRow) * in + k0;
        int x2 = Math.min(r + 2, lastRow) * in + k0;
        int x3 = Math.min(r + 3, lastRow) * in + k0;
        // start values and stores as in fullKernel, and for the same reasons
        float[] s = first ? (bias == null ? NO_BIAS : bias) : c;
        int s0 = first ? (bias == null ? 0 : biasOffset) : cOffset;
        int step = first ? 0 : ldc;
        int last = valid - 1;
        FloatVector c00 = FloatVector.fromArray(S, s, s0);
        FloatVector c01 = FloatVector.fromArray(S, s, s0 + L);
        int s1 = s0 + Math.min(1, last) * step;
        FloatVector c10 = FloatVector.fromArray(S, s, s1);
        FloatVector c11 = FloatVector.fromArray(S, s, s1 + L);
        int s2 = s0 + Math.min(2, last) * step;
        FloatVector c20 = FloatVector.fromArray(S, s, s2);
        FloatVector c21 = FloatVector.fromArray(S, s, s2 + L);
        int s3 = s0 + Math.min(3, last) * step;
        FloatVector c30 = FloatVector.fromArray(S, s, s3);
        FloatVector c31 = FloatVector.fromArray(S, s, s3 + L);
        for (int k = 0; k < kc; k++) {
            int wk = wOffset + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, w, wk);
            FloatVector b1 = FloatVector.fromArray(S, w, wk + L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, x[x1 + k]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, x[x2 + k]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, x[x3 + k]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
        }
        c00.intoArray(c, cOffset);
        c01.intoArray(c, cOffset + L);
        if (valid > 1) {
            c10.intoArray(c, cOffset + ldc);
            c11.intoArray(c, cOffset + ldc + L);
        }
        if (valid > 2) {
            c20.intoArray(c, cOffset + 2 * ldc);
            c21.intoArray(c, cOffset + 2 * ldc + L);
        }
        if (valid > 3) {
            c30.intoArray(c, cOffset + 3 * ldc);
            c31.intoArray(c, cOffset + 3 * ldc + L);
        }
    }

    /**
     * The 6 × 2 micro-kernel on six rows of {@link #copyBlockRows}' buffer, row i at x[x0 + i·K_BLOCK …]: the
     * arithmetic of {@link #fullKernel} (the same sums in the same order), addressed from one register: 1.2×
     * {@link #fullKernel} on rows read in place at 256 bits (84–88 → 100–108 GFLOP/s on one Zen 4 core).
     */
    private static void bufferedKernel(float[] x, int x0, float[] w, int wOffset, int kc, float[] bias,
                                       int biasOffset, float[] c, int cOffset, int ldc, boolean first) {
        float[] s = first ? (bias == null ? NO_BIAS : bias) : c;
        int s0 = first ? (bias == null ? 0 : biasOffset) : cOffset;
        int step = first ? 0 : ldc;
        FloatVector c0A = FloatVector.fromArray(S, s, s0);
        FloatVector c0B = FloatVector.fromArray(S, s, s0 + L);
        FloatVector c1A = FloatVector.fromArray(S, s, s0 + step);
        FloatVector c1B = FloatVector.fromArray(S, s, s0 + step + L);
        FloatVector c2A = FloatVector.fromArray(S, s, s0 + 2 * step);
        FloatVector c2B = FloatVector.fromArray(S, s, s0 + 2 * step + L);
        FloatVector c3A = FloatVector.fromArray(S, s, s0 + 3 * step);
        FloatVector c3B = FloatVector.fromArray(S, s, s0 + 3 * step + L);
        FloatVector c4A = FloatVector.fromArray(S, s, s0 + 4 * step);
        FloatVector c4B = FloatVector.fromArray(S, s, s0 + 4 * step + L);
        FloatVector c5A = FloatVector.fromArray(S, s, s0 + 5 * step);
        FloatVector c5B = FloatVector.fromArray(S, s, s0 + 5 * step + L);
        for (int k = 0; k < kc; k++) {
            int wk = wOffset + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, w, wk);
            FloatVector b1 = FloatVector.fromArray(S, w, wk + L);
            int xk = x0 + k;
            FloatVector a = FloatVector.broadcast(S, x[xk]);
            c0A = a.fma(b0, c0A);
            c0B = a.fma(b1, c0B);
            a = FloatVector.broadcast(S, x[xk + K_BLOCK]);
            c1A = a.fma(b0, c1A);
            c1B = a.fma(b1, c1B);
            a = FloatVector.broadcast(S, x[xk + 2 * K_BLOCK]);
            c2A = a.fma(b0, c2A);
            c2B = a.fma(b1, c2B);
            a = FloatVector.broadcast(S, x[xk + 3 * K_BLOCK]);
            c3A = a.fma(b0, c3A);
            c3B = a.fma(b1, c3B);
            a = FloatVector.broadcast(S, x[xk + 4 * K_BLOCK]);
            c4A = a.fma(b0, c4A);
            c4B = a.fma(b1, c4B);
            a = FloatVector.broadcast(S, x[xk + 5 * K_BLOCK]);
            c5A = a.fma(b0, c5A);
            c5B = a.fma(b1, c5B);
        }
        c0A.intoArray(c, cOffset);
        c0B.intoArray(c, cOffset + L);
        c1A.intoArray(c, cOffset + ldc);
        c1B.intoArray(c, cOffset + ldc + L);
        c2A.intoArray(c, cOffset + 2 * ldc);
        c2B.intoArray(c, cOffset + 2 * ldc + L);
        c3A.intoArray(c, cOffset + 3 * ldc);
        c3B.intoArray(c, cOffset + 3 * ldc + L);
        c4A.intoArray(c, cOffset + 4 * ldc);
        c4B.intoArray(c, cOffset + 4 * ldc + L);
        c5A.intoArray(c, cOffset + 5 * ldc);
        c5B.intoArray(c, cOffset + 5 * ldc + L);
    }

    /**
     * The 12 × 2 micro-kernel of the 512-bit GEMM: as {@link #kernel} for rows of {@link #copyBlockRows}' buffer,
     * row i of the tile at x[x0 + i·K_BLOCK …], and 7 ≤ valid ≤ 12 (rows past the valid ones are copies of the last
     * and are not stored). Accumulators ciA and ciB: row i, the panel's first and second vector. Start values and
     * stores as in {@link #fullKernel}, and for the same reasons.
     */
    private static void wideKernel(float[] x, int x0, float[] w, int wOffset, int kc, float[] bias, int biasOffset,
                                   float[] c, int cOffset, int ldc, int valid, boolean first) {
        float[] s = first ? (bias == null ? NO_BIAS : bias) : c;
        int s0 = first ? (bias == null ? 0 : biasOffset) : cOffset;
        int step = first ? 0 : ldc;
        int last = valid - 1; // rows 0–6 are always valid
        FloatVector c0A = FloatVector.fromArray(S, s, s0);
        FloatVector c0B = FloatVector.fromArray(S, s, s0 + L);
        FloatVector c1A = FloatVector.fromArray(S, s, s0 + step);
        FloatVector c1B = FloatVector.fromArray(S, s, s0 + step + L);
        FloatVector c2A = FloatVector.fromArray(S, s, s0 + 2 * step);
        FloatVector c2B = FloatVector.fromArray(S, s, s0 + 2 * step + L);
        FloatVector c3A = FloatVector.fromArray(S, s, s0 + 3 * step);
        FloatVector c3B = FloatVector.fromArray(S, s, s0 + 3 * step + L);
        FloatVector c4A = FloatVector.fromArray(S, s, s0 + 4 * step);
        FloatVector c4B = FloatVector.fromArray(S, s, s0 + 4 * step + L);
        FloatVector c5A = FloatVector.fromArray(S, s, s0 + 5 * step);
        FloatVector c5B = FloatVector.fromArray(S, s, s0 + 5 * step + L);
        FloatVector c6A = FloatVector.fromArray(S, s, s0 + 6 * step);
        FloatVector c6B = FloatVector.fromArray(S, s, s0 + 6 * step + L);
        int s7 = s0 + Math.min(7, last) * step;
        FloatVector c7A = FloatVector.fromArray(S, s, s7);
        FloatVector c7B = FloatVector.fromArray(S, s, s7 + L);
        int s8 = s0 + Math.min(8, last) * step;
        FloatVector c8A = FloatVector.fromArray(S, s, s8);
        FloatVector c8B = FloatVector.fromArray(S, s, s8 + L);
        int s9 = s0 + Math.min(9, last) * step;
        FloatVector c9A = FloatVector.fromArray(S, s, s9);
        FloatVector c9B = FloatVector.fromArray(S, s, s9 + L);
        int s10 = s0 + Math.min(10, last) * step;
        FloatVector c10A = FloatVector.fromArray(S, s, s10);
        FloatVector c10B = FloatVector.fromArray(S, s, s10 + L);
        int s11 = s0 + Math.min(11, last) * step;
        FloatVector c11A = FloatVector.fromArray(S, s, s11);
        FloatVector c11B = FloatVector.fromArray(S, s, s11 + L);
        for (int k = 0; k < kc; k++) {
            int wk = wOffset + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, w, wk);
            FloatVector b1 = FloatVector.fromArray(S, w, wk + L);
            int xk = x0 + k;
            FloatVector a = FloatVector.broadcast(S, x[xk]);
            c0A = a.fma(b0, c0A);
            c0B = a.fma(b1, c0B);
            a = FloatVector.broadcast(S, x[xk + K_BLOCK]);
            c1A = a.fma(b0, c1A);
            c1B = a.fma(b1, c1B);
            a = FloatVector.broadcast(S, x[xk + 2 * K_BLOCK]);
            c2A = a.fma(b0, c2A);
            c2B = a.fma(b1, c2B);
            a = FloatVector.broadcast(S, x[xk + 3 * K_BLOCK]);
            c3A = a.fma(b0, c3A);
            c3B = a.fma(b1, c3B);
            a = FloatVector.broadcast(S, x[xk + 4 * K_BLOCK]);
            c4A = a.fma(b0, c4A);
            c4B = a.fma(b1, c4B);
            a = FloatVector.broadcast(S, x[xk + 5 * K_BLOCK]);
            c5A = a.fma(b0, c5A);
            c5B = a.fma(b1, c5B);
            a = FloatVector.broadcast(S, x[xk + 6 * K_BLOCK]);
            c6A = a.fma(b0, c6A);
            c6B = a.fma(b1, c6B);
            a = FloatVector.broadcast(S, x[xk + 7 * K_BLOCK]);
            c7A = a.fma(b0, c7A);
            c7B = a.fma(b1, c7B);
            a = FloatVector.broadcast(S, x[xk + 8 * K_BLOCK]);
            c8A = a.fma(b0, c8A);
            c8B = a.fma(b1, c8B);
            a = FloatVector.broadcast(S, x[xk + 9 * K_BLOCK]);
            c9A = a.fma(b0, c9A);
            c9B = a.fma(b1, c9B);
            a = FloatVector.broadcast(S, x[xk + 10 * K_BLOCK]);
            c10A = a.fma(b0, c10A);
            c10B = a.fma(b1, c10B);
            a = FloatVector.broadcast(S, x[xk + 11 * K_BLOCK]);
            c11A = a.fma(b0, c11A);
            c11B = a.fma(b1, c11B);
        }
        c0A.intoArray(c, cOffset);
        c0B.intoArray(c, cOffset + L);
        c1A.intoArray(c, cOffset + ldc);
        c1B.intoArray(c, cOffset + ldc + L);
        c2A.intoArray(c, cOffset + 2 * ldc);
        c2B.intoArray(c, cOffset + 2 * ldc + L);
        c3A.intoArray(c, cOffset + 3 * ldc);
        c3B.intoArray(c, cOffset + 3 * ldc + L);
        c4A.intoArray(c, cOffset + 4 * ldc);
        c4B.intoArray(c, cOffset + 4 * ldc + L);
        c5A.intoArray(c, cOffset + 5 * ldc);
        c5B.intoArray(c, cOffset + 5 * ldc + L);
        c6A.intoArray(c, cOffset + 6 * ldc);
        c6B.intoArray(c, cOffset + 6 * ldc + L);
        if (valid > 7) {
            c7A.intoArray(c, cOffset + 7 * ldc);
            c7B.intoArray(c, cOffset + 7 * ldc + L);
        }
        if (valid > 8) {
            c8A.intoArray(c, cOffset + 8 * ldc);
            c8B.intoArray(c, cOffset + 8 * ldc + L);
        }
        if (valid > 9) {
            c9A.intoArray(c, cOffset + 9 * ldc);
            c9B.intoArray(c, cOffset + 9 * ldc + L);
        }
        if (valid > 10) {
            c10A.intoArray(c, cOffset + 10 * ldc);
            c10B.intoArray(c, cOffset + 10 * ldc + L);
        }
        if (valid > 11) {
            c11A.intoArray(c, cOffset + 11 * ldc);
            c11B.intoArray(c, cOffset + 11 * ldc + L);
        }
    }

    /** {@code rows} runs of {@code width} floats from src (row stride srcLd) to dst (row stride dstLd). */
    private static void copyRows(float[] src, int srcOffset, int srcLd, float[] dst, int dstOffset, int dstLd,
                                 int rows, int width) {
        for (int i = 0; i < rows; i++) {
            System.arraycopy(src, srcOffset + i * srcLd, dst, dstOffset + i * dstLd, width);
        }
    }
}
