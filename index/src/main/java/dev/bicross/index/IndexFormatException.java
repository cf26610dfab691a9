package dev.bicross.index;

import java.io.IOException;
import java.nio.file.Path;

/** An index file that cannot be read: wrong magic or version, truncated, or failing a checksum or a consistency check. */
public final class IndexFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** Creates the exception; the message is prefixed with the file name. */
    public IndexFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** The file that was rejected. */
    public Path file() {
        return file;
    }
}
