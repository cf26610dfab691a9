package dev.bicross.cli;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.retrieval.Hit;
import dev.bicross.retrieval.Retriever;
import dev.bicross.retrieval.SearchOptions;
import dev.bicross.retrieval.SearchResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bicross search}: both stages against a saved index. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Searches an index folder: the bi-encoder finds N candidates, the cross-encoder re-ranks "
                + "them, the best k are printed.",
                "N (--candidates) is the latency/precision knob: the re-ranker costs one model pass per candidate."})
final class SearchCommand implements Callable<Integer> {

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "Folder written by 'bicross index'.")
    Path index;

    @Parameters(paramLabel = "QUERY", description = "The query text.")
    String query;

    @Option(names = {"-k", "--k"}, paramLabel = "K", defaultValue = "10", description = "Hits to print (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = {"-n", "--candidates"}, paramLabel = "N", defaultValue = "100",
            description = "Candidates handed to the re-ranker (default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--no-rerank", description = "Stage 1 only (bi-encoder + index).")
    boolean noRerank;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "Bi-encoder (default: the one recorded in the index).")
    String model;

    @Option(names = "--cross-model", paramLabel = "DIR|ORG/NAME",
            description = "Cross-encoder (default: " + ModelChoice.DEFAULT_CROSS_ENCODER + ").")
    String crossModel;

    @Option(names = "--json", description = "One JSON object per hit.")
    boolean json;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        SearchOptions options = new SearchOptions(k, Math.max(k, candidates), !noRerank);
        if (candidates < k) {
            throw new IllegalArgumentException("--candidates (" + candidates + ") must be at least --k (" + k + ")");
        }
        String recorded = Retriever.recordedModelSource(index);
        // Default to the precision the index was built with: its vectors only match queries embedded the same way.
        Precision biPrecision = precision.orElse(Retriever.recordedPrecision(index));
        BiEncoder biEncoder = BiEncoder.load(ModelChoice.biEncoder(model != null ? model : recorded), biPrecision);
        CrossEncoder crossEncoder = noRerank ? null : ModelChoice.crossEncoder(crossModel, System.err, biPrecision).orElse(null);
        Retriever retriever = Retriever.open(index, biEncoder, crossEncoder);
        SearchResult result = retriever.search(query, options);
        for (int r = 0; r < result.hits().size(); r++) {
            Hit h = result.hits().get(r);
            if (json) {
                System.out.printf(Locale.ROOT, "{\"rank\":%d,\"id\":%s,\"score\":%s,\"bi_encoder_score\":%s,"
                                + "\"bi_encoder_rank\":%d,\"cross_encoder_score\":%s,\"title\":%s,\"passage\":%s}%n",
                        r + 1, Json.quote(h.document().id()), Float.toString(h.score()),
                        Float.toString(h.biEncoderScore()), h.biEncoderRank(),
                        h.reranked() ? Float.toString(h.crossEncoderScore()) : "null",
                        Json.quote(h.document().title()), Json.quote(h.passage()));
            } else {
                String title = h.document().title().isEmpty() ? "" : h.document().title() + " — ";
                String text = (title + h.passage()).replaceAll("\\s+", " ");
                System.out.printf(Locale.ROOT, "%3d. %-12s %s  %s%n", r + 1, h.document().id(),
                        h.reranked() ? String.format(Locale.ROOT, "ce %8.4f  bi %.4f (#%d)", h.crossEncoderScore(),
                                h.biEncoderScore(), h.biEncoderRank())
                                : String.format(Locale.ROOT, "bi %.4f", h.biEncoderScore()),
                        text.length() > 100 ? text.substring(0, 97) + "..." : text);
            }
        }
        System.err.printf(Locale.ROOT, "bicross search: %d documents, N = %d candidates, encode %.1f ms, "
                        + "index %.1f ms, re-rank %.1f ms, total %.1f ms%n", retriever.size(), result.candidates(),
                result.encodeNanos() / 1e6, result.searchNanos() / 1e6, result.rerankNanos() / 1e6,
                result.totalNanos() / 1e6);
        return 0;
    }
}
