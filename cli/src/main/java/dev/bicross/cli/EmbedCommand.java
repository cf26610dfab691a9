package dev.bicross.cli;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.embed.Embedding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bicross embed}: one JSON vector per input line. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Reads lines from stdin and writes one JSON array (the embedding) per line to stdout.",
                "Empty lines embed as [CLS] [SEP]."})
final class EmbedCommand implements Callable<Integer> {

    /** Lines read before encoding: several batches, so sorting by length has something to sort. */
    private static final int LINES_PER_CHUNK_FACTOR = 8;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = {"Hugging Face model folder (config.json, model.safetensors, tokenizer.json).",
                    "Default: all-MiniLM-L6-v2, converted once from the Maven Central jar into ~/.cache/bicross."})
    String model;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32",
            description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--stats", description = "Print texts, tokens, truncated texts and tokens/s (excluding model load) to stderr.")
    boolean stats;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        }
        Path modelDir = resolveModel();
        BiEncoder encoder = BiEncoder.load(modelDir, precision.get());

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        long texts = 0;
        long tokens = 0;
        long truncated = 0;
        long nanos = 0;
        List<String> chunk = new ArrayList<>();
        String line;
        boolean done = false;
        while (!done) {
            line = in.readLine();
            if (line != null) {
                chunk.add(line);
            }
            done = line == null;
            if (chunk.size() >= batchSize * LINES_PER_CHUNK_FACTOR || (done && !chunk.isEmpty())) {
                long start = System.nanoTime();
                List<Embedding> embeddings = encoder.encodeDetailed(chunk, batchSize);
                nanos += System.nanoTime() - start;
                for (Embedding e : embeddings) {
                    out.println(toJson(e.vector()));
                    tokens += e.tokenCount();
                    truncated += e.truncated() ? 1 : 0;
                }
                texts += chunk.size();
                chunk.clear();
                out.flush();
            }
        }
        out.flush();
        if (stats) {
            double seconds = nanos / 1e9;
            System.err.printf(Locale.ROOT, "bicross embed: %s (%s kernels), %d texts, %d tokens, %d truncated at %d, "
                            + "%.3f s, %.0f tokens/s, %.1f texts/s%n",
                    encoder.modelName(), encoder.model().kernels().name(), texts, tokens, truncated,
                    encoder.settings().maxSeqLength(), seconds, seconds > 0 ? tokens / seconds : 0,
                    seconds > 0 ? texts / seconds : 0);
        }
        return 0;
    }

    private Path resolveModel() throws IOException {
        return ModelChoice.biEncoder(model);
    }

    /** A JSON array with each float in its shortest round-trip form. */
    static String toJson(float[] vector) {
        StringBuilder sb = new StringBuilder(vector.length * 12);
        sb.append('[');
        for (int i = 0; i < vector.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(vector[i]);
        }
        return sb.append(']').toString();
    }
}
