package dev.bicross.index;

/** Argument checks shared by the index implementations, done before anything is changed. */
final class Batch {

    private Batch() {
    }

    /** Validates and prepares every vector of a batch, naming the offending position and id. */
    static float[][] prepare(VectorStore store, long[] ids, float[][] vectors) {
        if (ids == null || vectors == null) {
            throw new IllegalArgumentException((ids == null ? "ids" : "vectors") + " is null");
        }
        if (ids.length != vectors.length) {
            throw new IllegalArgumentException(
                    ids.length + " ids but " + vectors.length + " vectors: the arrays must have equal length");
        }
        float[][] prepared = new float[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            String what = vectors.length == 1 ? "vector for id " + ids[i]
                    : "vector " + i + " (id " + ids[i] + ")";
            prepared[i] = store.prepare(vectors[i], what);
        }
        return prepared;
    }

    static void checkK(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
    }
}
