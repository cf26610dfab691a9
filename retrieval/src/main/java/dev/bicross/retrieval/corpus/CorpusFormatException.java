package dev.bicross.retrieval.corpus;

import java.nio.file.Path;

/** A corpus, queries or qrels file that cannot be read; the message names the file and line. */
public final class CorpusFormatException extends RuntimeException {

    public CorpusFormatException(Path file, long line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
    }

    public CorpusFormatException(Path file, long line, String problem, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
    }
}
