package dev.bicross.cli;

import dev.bicross.convert.DefaultModels;
import dev.bicross.engine.hub.HubException;
import dev.bicross.engine.hub.ModelResolver;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.rerank.CrossEncoder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the commands get their models: a local folder, a Hugging Face id (HF cache, then the Hub), or the defaults —
 * all-MiniLM-L6-v2 converted from Maven Central for the bi-encoder, ms-marco-MiniLM-L6-v2 from the Hub for the
 * cross-encoder.
 */
final class ModelChoice {

    /** The default re-ranker, fetched from the Hugging Face Hub. */
    static final String DEFAULT_CROSS_ENCODER = "cross-encoder/ms-marco-MiniLM-L6-v2";

    private ModelChoice() {
    }

    /** The bi-encoder folder for {@code spec} (null → the default, converted once into the cache). */
    static Path biEncoder(String spec) throws IOException {
        if (spec == null || spec.isBlank()) {
            return DefaultModels.biEncoder();
        }
        return resolve(spec);
    }

    /** A folder or Hub id resolved to a local folder (downloading when needed, progress on stderr). */
    static Path resolve(String spec) throws IOException {
        Path local = Path.of(spec);
        if (Files.isDirectory(local)) {
            return local;
        }
        boolean looksLikePath = spec.startsWith("/") || spec.startsWith(".") || spec.startsWith("~")
                || spec.chars().filter(c -> c == '/').count() > 1 || Files.exists(local);
        if (looksLikePath) {
            throw new IllegalArgumentException(spec + ": not a directory (expected a model folder, or a Hugging Face "
                    + "id such as org/name)");
        }
        return ModelResolver.fromEnvironment().resolve(spec,
                new DownloadProgressLine(new java.io.PrintWriter(System.err, true), false));
    }

    /**
     * Loads the cross-encoder, or explains plainly why it is not available and returns empty, so the caller can
     * carry on with the bi-encoder stage. An explicitly named model that fails is an error, not a fallback.
     */
    static Optional<CrossEncoder> crossEncoder(String spec, PrintStream notices) throws IOException {
        return crossEncoder(spec, notices, Precision.FP32);
    }

    /** As {@link #crossEncoder(String, PrintStream)}, with the encoder's linear layers at {@code precision}. */
    static Optional<CrossEncoder> crossEncoder(String spec, PrintStream notices, Precision precision)
            throws IOException {
        String id = spec == null || spec.isBlank() ? DEFAULT_CROSS_ENCODER : spec;
        try {
            return Optional.of(CrossEncoder.load(resolve(id), precision));
        } catch (HubException e) {
            if (spec != null && !spec.isBlank()) {
                throw e;
            }
            notices.println("Cross-encoder " + id + " is not available: " + e.getMessage());
            notices.println("  Fetch it once with:  ./bicross pull " + id
                    + "   (or pass --cross-model DIR with a local BertForSequenceClassification folder)");
            notices.println("  Continuing with the bi-encoder stage only.");
            return Optional.empty();
        }
    }
}
