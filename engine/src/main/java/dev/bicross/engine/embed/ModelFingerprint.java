package dev.bicross.engine.embed;

/**
 * Identifies the model that produced a set of vectors, so an index can refuse vectors or queries from another one.
 *
 * @param modelName     human-readable name (folder or Hub id); informative only
 * @param weightsSha256 SHA-256 of the weights file: the part that decides identity
 * @param dimension     vector dimension
 */
public record ModelFingerprint(String modelName, String weightsSha256, int dimension) {

    /** Whether vectors from {@code other} are comparable with ours: same weights and dimension (name ignored). */
    public boolean sameModelAs(ModelFingerprint other) {
        return weightsSha256.equals(other.weightsSha256) && dimension == other.dimension;
    }

    /** Compact form, e.g. {@code sha256:ab12…/384}. */
    public String id() {
        return "sha256:" + weightsSha256 + "/" + dimension;
    }
}
