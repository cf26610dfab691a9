package dev.bicross.index;

import java.util.Objects;

/**
 * Which embedding model made an index's vectors: its name, a fingerprint (the engine supplies a hash of the
 * weights and the dimension) and the vector dimension. Empty name and fingerprint mean "not recorded"; such an
 * index accepts any model of the right dimension.
 *
 * @param modelName        e.g. {@code "sentence-transformers/all-MiniLM-L6-v2"}, or empty
 * @param modelFingerprint an opaque string compared for equality, or empty
 * @param dimension        the vector dimension
 */
public record IndexMetadata(String modelName, String modelFingerprint, int dimension) {

    /** Validates the fields. */
    public IndexMetadata {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        if (dimension <= 0) {
            throw new IllegalArgumentException("dimension must be positive, got " + dimension);
        }
    }

    /** Metadata without a recorded model. */
    public static IndexMetadata unrecorded(int dimension) {
        return new IndexMetadata("", "", dimension);
    }

    /** Whether a model is recorded. */
    public boolean hasModel() {
        return !modelName.isEmpty() || !modelFingerprint.isEmpty();
    }

    /**
     * Refuses a model other than the recorded one.
     *
     * @throws ModelMismatchException if a model is recorded and the name or fingerprint differ
     */
    public void checkModel(String name, String fingerprint) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (hasModel() && (!modelName.equals(name) || !modelFingerprint.equals(fingerprint))) {
            throw new ModelMismatchException("the index was built with model '" + modelName + "' (fingerprint "
                    + modelFingerprint + ", dimension " + dimension + ") but is being used with model '" + name
                    + "' (fingerprint " + fingerprint + "): vectors of different models are not comparable, "
                    + "re-index the corpus with the new model");
        }
    }
}
