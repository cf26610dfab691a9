package dev.bicross.engine.embed;

import dev.bicross.engine.kernel.Precision;

import java.util.Objects;

/**
 * Identifies the model that produced a set of vectors, so an index can refuse vectors or queries from another one.
 * The precision is part of the identity: INT8 vectors are close to FP32 ones (cosine ≥ 0.99) but not equal, and
 * an index whose vectors and queries come from different precisions would quietly lose some recall.
 *
 * @param modelName     human-readable name (folder or Hub id); informative only
 * @param weightsSha256 SHA-256 of the weights file: the part that decides identity
 * @param dimension     vector dimension
 * @param precision     precision of the encoder's linear layers
 */
public record ModelFingerprint(String modelName, String weightsSha256, int dimension, Precision precision) {

    public ModelFingerprint {
        Objects.requireNonNull(precision, "precision");
    }

    /** An FP32 model's fingerprint. */
    public ModelFingerprint(String modelName, String weightsSha256, int dimension) {
        this(modelName, weightsSha256, dimension, Precision.FP32);
    }

    /** Whether vectors from {@code other} are comparable with ours: same weights, dimension and precision. */
    public boolean sameModelAs(ModelFingerprint other) {
        return weightsSha256.equals(other.weightsSha256) && dimension == other.dimension
                && precision == other.precision;
    }

    /**
     * Compact form, e.g. {@code sha256:ab12…/384}, with the precision appended when it is not FP32
     * ({@code sha256:ab12…/384/int8}), so indexes built before precisions existed keep their FP32 identity.
     */
    public String id() {
        String base = "sha256:" + weightsSha256 + "/" + dimension;
        return precision == Precision.FP32 ? base : base + "/" + precision.id();
    }
}
