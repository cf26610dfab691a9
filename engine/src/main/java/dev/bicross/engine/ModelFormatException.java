package dev.bicross.engine;

import java.io.IOException;

/**
 * A model folder or weights file that bicross cannot use: corrupt, truncated, inconsistent with its config, or of
 * an unsupported kind. The message names the file and, where there is one, the tensor or field at fault.
 */
public class ModelFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the offending file, tensor or field. */
    public ModelFormatException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the underlying cause (e.g. a JSON parse error). */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
