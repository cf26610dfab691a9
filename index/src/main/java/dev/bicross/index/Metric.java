package dev.bicross.index;

import dev.bicross.index.kernel.DistanceKernels;

/**
 * How two vectors are compared. Every metric reports a <em>similarity score: higher means more similar</em>,
 * so results of all metrics sort the same way (best first).
 *
 * <ul>
 *   <li>{@link #COSINE}: vectors (stored and query) are L2-normalised on the way in; the score is the dot
 *       product of the normalised vectors, i.e. the cosine similarity in [-1, 1]. Zero vectors are rejected.</li>
 *   <li>{@link #DOT_PRODUCT}: the raw dot product; vectors are stored as given. Use it for vectors the model
 *       already normalised (then it equals cosine and skips the normalisation).</li>
 *   <li>{@link #EUCLIDEAN}: the score is the <em>negated squared</em> Euclidean distance −‖a−b‖²
 *       (0 for identical vectors, more negative further apart); take {@code Math.sqrt(-score)} for the distance.</li>
 * </ul>
 */
public enum Metric {
    COSINE,
    DOT_PRODUCT,
    EUCLIDEAN;

    /**
     * Scores of {@code query} against {@code count} rows (node numbers {@code nodes[0..count)}) into
     * {@code out[0..count)}, four rows per kernel call. Every query-to-row score in the index comes from here,
     * so a (query, row) pair scores the same bits on every path (graph, exact scan, filtered).
     */
    void scoreBatch(DistanceKernels kernels, float[] query, float[] block, int dimension, int[] nodes, int count,
                    float[] out) {
        int i = 0;
        for (; i + 4 <= count; i += 4) {
            score4(kernels, query, block, dimension, nodes[i] * dimension, nodes[i + 1] * dimension,
                    nodes[i + 2] * dimension, nodes[i + 3] * dimension, out, i);
        }
        if (i < count) {
            // Pad the last group by repeating its last row; the spare results land in out's slack.
            int last = nodes[count - 1] * dimension;
            int o1 = i + 1 < count ? nodes[i + 1] * dimension : last;
            int o2 = i + 2 < count ? nodes[i + 2] * dimension : last;
            score4(kernels, query, block, dimension, nodes[i] * dimension, o1, o2, last, out, i);
        }
    }

    private void score4(DistanceKernels kernels, float[] query, float[] block, int dimension, int o0, int o1, int o2,
                        int o3, float[] out, int at) {
        switch (this) {
            case COSINE, DOT_PRODUCT -> kernels.dot4(query, block, o0, o1, o2, o3, dimension, out, at);
            case EUCLIDEAN -> {
                kernels.squaredDistance4(query, block, o0, o1, o2, o3, dimension, out, at);
                for (int j = at; j < at + 4; j++) {
                    out[j] = 0f - out[j];
                }
            }
        }
    }

    /** Score between two rows of the same block (graph construction; not reported to callers). */
    float score(DistanceKernels kernels, float[] block, int offsetA, int offsetB, int dimension) {
        return switch (this) {
            case COSINE, DOT_PRODUCT -> kernels.dot(block, offsetA, block, offsetB, dimension);
            case EUCLIDEAN -> 0f - kernels.squaredDistance(block, offsetA, block, offsetB, dimension);
        };
    }

    /**
     * Validates a vector and returns the copy that is stored or searched: the same values, or the
     * L2-normalised values under {@link #COSINE}. The caller's array is never kept or modified.
     *
     * @param what names the vector in error messages, e.g. {@code "vector for id 42"} or {@code "query"}
     * @throws IllegalArgumentException on a null vector, a wrong dimension, a NaN or infinite component, or a
     *         zero vector under {@link #COSINE}
     */
    float[] prepare(float[] vector, int dimension, String what) {
        if (vector == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (vector.length != dimension) {
            throw new IllegalArgumentException(
                    what + " has dimension " + vector.length + " but the index has dimension " + dimension);
        }
        double squaredNorm = 0;
        for (int i = 0; i < vector.length; i++) {
            float x = vector[i];
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException(what + " has a non-finite component " + x + " at position " + i);
            }
            squaredNorm += (double) x * x;
        }
        float[] copy = vector.clone();
        if (this == COSINE) {
            if (squaredNorm == 0) {
                throw new IllegalArgumentException(
                        what + " is the zero vector, which has no direction under the COSINE metric");
            }
            double inverse = 1.0 / Math.sqrt(squaredNorm);
            for (int i = 0; i < copy.length; i++) {
                copy[i] = (float) (copy[i] * inverse);
            }
        }
        return copy;
    }
}
