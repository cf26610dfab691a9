package dev.bicross.cli;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.RankedDocument;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code bicross demo}: the seed example, stage by stage. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The two stages on the seed example: bi-encoder cosine scores, then cross-encoder re-ranking."})
final class DemoCommand implements Callable<Integer> {

    static final String QUERY = "How to play musical instruments?";
    static final List<String> DOCUMENTS = List.of("The cat sits outside", "A man is playing guitar", "I love pasta");

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "Bi-encoder folder or Hugging Face id (default: all-MiniLM-L6-v2 from Maven Central).")
    String model;

    @Option(names = "--cross-model", paramLabel = "DIR|ORG/NAME",
            description = "Cross-encoder folder or Hugging Face id (default: " + ModelChoice.DEFAULT_CROSS_ENCODER + ").")
    String crossModel;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        Path folder = ModelChoice.biEncoder(model);
        BiEncoder biEncoder = BiEncoder.load(folder, precision.get());
        long t1 = System.nanoTime();
        System.out.printf(Locale.ROOT, "Bi-encoder  %s (%d dimensions, %s kernels, %s), loaded in %.0f ms%n",
                biEncoder.modelName(), biEncoder.dimension(), biEncoder.model().kernels().name(),
                biEncoder.model().precision().id(), ms(t0, t1));
        System.out.printf("Query       \"%s\"%n%n", QUERY);

        // Stage 1: each text becomes a vector on its own; relevance is the cosine of two vectors.
        List<String> texts = new ArrayList<>();
        texts.add(QUERY);
        texts.addAll(DOCUMENTS);
        long t2 = System.nanoTime();
        List<float[]> vectors = biEncoder.encode(texts);
        long t3 = System.nanoTime();
        float[] query = vectors.getFirst();
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2));
        double[] cosines = new double[DOCUMENTS.size()];
        for (int d = 0; d < DOCUMENTS.size(); d++) {
            cosines[d] = cosine(query, vectors.get(d + 1));
        }
        order.sort(Comparator.comparingDouble(d -> -cosines[d]));
        System.out.println("Stage 1 · bi-encoder: cosine(query vector, document vector)");
        for (int d : order) {
            System.out.printf(Locale.ROOT, "  %7.4f  %s%n", cosines[d], DOCUMENTS.get(d));
        }
        System.out.printf(Locale.ROOT, "  (%d texts embedded in %.1f ms; document vectors are computed once and "
                + "indexed, so a query costs one encoding plus an index lookup)%n%n", texts.size(), ms(t2, t3));

        // Stage 2: the cross-encoder reads query and document together; only worth it on a shortlist.
        Optional<CrossEncoder> crossEncoder = ModelChoice.crossEncoder(crossModel, System.out, precision.get());
        if (crossEncoder.isEmpty()) {
            return 0;
        }
        CrossEncoder ce = crossEncoder.get();
        long t4 = System.nanoTime();
        List<RankedDocument> ranked = ce.rank(QUERY, DOCUMENTS, DOCUMENTS.size());
        long t5 = System.nanoTime();
        System.out.printf("Stage 2 · cross-encoder %s: score(query + document read together)%n", ce.modelName());
        for (RankedDocument d : ranked) {
            System.out.printf(Locale.ROOT, "  %7.4f  %s   (bi-encoder rank %d)%n", d.score(), d.text(),
                    order.indexOf(d.index()) + 1);
        }
        System.out.printf(Locale.ROOT, "  (%d pairs scored in %.1f ms: one full model pass per pair, so it re-ranks "
                + "the top N candidates of stage 1, never the whole corpus)%n", DOCUMENTS.size(), ms(t4, t5));
        return 0;
    }

    private static double ms(long from, long to) {
        return (to - from) / 1e6;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
