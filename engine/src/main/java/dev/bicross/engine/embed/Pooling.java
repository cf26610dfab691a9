package dev.bicross.engine.embed;

/** How a bi-encoder turns a sequence's token vectors into one vector, as in sentence-transformers' Pooling module. */
public enum Pooling {
    /** Average of the token vectors ([CLS] and [SEP] included), sentence-transformers' default. */
    MEAN,
    /** The [CLS] token's vector. */
    CLS,
    /** Per-feature maximum over the tokens. */
    MAX;

    /**
     * Pools rows {@code [firstRow, firstRow + length)} of {@code hidden} (rows × dim) into {@code out} (dim).
     * Sums run in {@code double} so the result does not depend on sequence length through rounding.
     */
    void pool(float[] hidden, int firstRow, int length, int dim, float[] out) {
        int base = firstRow * dim;
        switch (this) {
            case CLS -> System.arraycopy(hidden, base, out, 0, dim);
            case MEAN -> {
                for (int j = 0; j < dim; j++) {
                    double sum = 0;
                    for (int t = 0; t < length; t++) {
                        sum += hidden[base + t * dim + j];
                    }
                    out[j] = (float) (sum / length);
                }
            }
            case MAX -> {
                for (int j = 0; j < dim; j++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int t = 0; t < length; t++) {
                        max = Math.max(max, hidden[base + t * dim + j]);
                    }
                    out[j] = max;
                }
            }
        }
    }

    /** x / max(‖x‖₂, 1e-12), in place, as torch.nn.functional.normalize. */
    static void l2Normalize(float[] x) {
        double squares = 0;
        for (float v : x) {
            squares += (double) v * v;
        }
        double norm = Math.max(Math.sqrt(squares), 1e-12);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] / norm);
        }
    }
}
