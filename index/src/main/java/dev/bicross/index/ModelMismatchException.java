package dev.bicross.index;

/**
 * Thrown when an index is opened or queried with a different embedding model than the one that made its
 * vectors. Vectors from different models live in different spaces: the corpus must be re-indexed.
 */
public final class ModelMismatchException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message naming both models. */
    public ModelMismatchException(String message) {
        super(message);
    }
}
