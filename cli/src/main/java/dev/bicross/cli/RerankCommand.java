package dev.bicross.cli;

import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.RankedDocument;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bicross rerank}: scores stdin documents against a query with the cross-encoder. */
@Command(name = "rerank", mixinStandardHelpOptions = true,
        description = {"Reads documents (one per line) from stdin and prints them ranked by the cross-encoder's "
                + "score for the query, best first.",
                "A cross-encoder reads each (query, document) pair together: precise, but one full model pass per "
                        + "pair, so give it a shortlist (tens to a few hundred), not a corpus."})
final class RerankCommand implements Callable<Integer> {

    @Option(names = {"-q", "--query"}, required = true, paramLabel = "TEXT", description = "The query.")
    String query;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "Cross-encoder folder or Hugging Face id (default: " + ModelChoice.DEFAULT_CROSS_ENCODER + ").")
    String model;

    @Option(names = {"-k", "--top-k"}, paramLabel = "K", description = "Print only the best K (default: all).")
    Integer topK;

    @Option(names = "--json", description = "One JSON object per result: rank, index, score, text.")
    boolean json;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        List<String> documents = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (!line.isBlank()) {
                documents.add(line);
            }
        }
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("no documents on stdin (one per line)");
        }
        int k = topK == null ? documents.size() : topK;
        if (k < 1) {
            throw new IllegalArgumentException("--top-k must be at least 1, got " + k);
        }
        CrossEncoder encoder = model == null
                ? ModelChoice.crossEncoder(null, System.err, precision.get()).orElseThrow(() -> new IllegalStateException(
                        "no cross-encoder to re-rank with (see above)"))
                : ModelChoice.crossEncoder(model, System.err, precision.get()).orElseThrow();
        long start = System.nanoTime();
        List<RankedDocument> ranked = encoder.rank(query, documents, k);
        double ms = (System.nanoTime() - start) / 1e6;
        for (int r = 0; r < ranked.size(); r++) {
            RankedDocument d = ranked.get(r);
            if (json) {
                System.out.printf(Locale.ROOT, "{\"rank\":%d,\"index\":%d,\"score\":%s,\"text\":%s}%n",
                        r + 1, d.index(), Float.toString(d.score()), Json.quote(d.text()));
            } else {
                System.out.printf(Locale.ROOT, "%3d. %9.4f  %s%n", r + 1, d.score(), d.text());
            }
        }
        System.err.printf(Locale.ROOT, "bicross rerank: %d documents scored by %s in %.1f ms (%.0f docs/s)%n",
                documents.size(), encoder.modelName(), ms, documents.size() / (ms / 1000));
        return 0;
    }
}
