package dev.bicross.bench.eval;

import ai.onnxruntime.OrtException;
import dev.bicross.convert.DefaultModels;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.retrieval.Hit;
import dev.bicross.retrieval.IndexingStats;
import dev.bicross.retrieval.Retriever;
import dev.bicross.retrieval.SearchOptions;
import dev.bicross.retrieval.SearchResult;
import dev.bicross.retrieval.chunk.Chunk;
import dev.bicross.retrieval.chunk.Chunker;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Document;
import dev.bicross.retrieval.corpus.Query;
import dev.bicross.retrieval.corpus.Qrels;
import dev.bicross.retrieval.corpus.TestCollection;
import dev.bicross.retrieval.eval.Evaluator;
import dev.bicross.retrieval.eval.MetricSummary;
import dev.bicross.retrieval.eval.StageReport;
import dev.bicross.tokenizer.BertTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The independent check of {@code bicross eval --no-rerank} (issue 6, Acceptance): the same test collection is
 * scored twice and the figures are printed side by side.
 * <ul>
 *   <li><b>bicross</b>: {@link Retriever} as the command builds it (default chunking, HNSW M=16, efConstruction=200,
 *   efSearch=100, no re-ranking), scored by {@link MetricSummary}.</li>
 *   <li><b>reference</b>: ONNX Runtime FP32 on the ONNX graph of the langchain4j jar, token ids from bicross'
 *   tokenizer reading that jar's tokenizer.json (proven exact against Hugging Face by the tokenizer tests), mean
 *   pooling and L2 norm in double, exact brute-force search in double, scored by {@link TrecMetrics}.</li>
 * </ul>
 * Long documents: both sides cut them with the same {@link Chunker} settings (254-piece windows overlapping by 31,
 * the defaults for max_seq_length 256) and score a document by its best chunk, so like is compared with like; the
 * chunker itself is covered by its own tests.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.bicross.bench.eval.OrtEvalCrossCheck ../shared/data/adi ...}. Exits with 1 when some collection's nDCG@10
 * differs by {@value #TOLERANCE} or more.
 */
public final class OrtEvalCrossCheck {

    /** all-MiniLM-L6-v2's max_seq_length (sentence_bert_config.json), [CLS] and [SEP] included. */
    static final int MAX_SEQ_LENGTH = 256;
    /** Depth of the rankings (Recall@100). */
    static final int DEPTH = 100;
    /** "Agree to 3 decimals". */
    static final double TOLERANCE = 5e-4;

    /** nDCG@10, MRR@10 and Recall@100 of one run. */
    record Scores(double ndcg10, double mrr10, double recall100) {
    }

    /**
     * One collection scored both ways.
     *
     * @param identicalTop10     queries whose top 10 is the same list (ids and order) on both sides
     * @param overlap100         mean share of the reference top 100 that bicross also returns
     * @param wideRecall100      bicross' Recall@100 when it gathers 4 × 100 candidates (HNSW ef 400) and keeps the
     *                           best 100: tells HNSW misses at the tail of the list from embedding differences
     * @param maxScoreDifference largest |bicross cosine − reference cosine| over every hit bicross returned
     * @param tiedQueries        queries whose reference scores at ranks 10 and 11 are within 1e-6 (order is luck)
     * @param metricCodeDelta    |MetricSummary − TrecMetrics| on the bicross run: the two metric codes agree
     * @param evaluator          the same retriever run through {@link Evaluator#biEncoder}, as {@code bicross eval}
     *                           does (its metrics must equal {@code bicross}; it also times the queries)
     */
    record Comparison(String collection, int documents, int passages, int queries, Scores bicross, Scores reference,
                      int identicalTop10, double overlap100, double wideRecall100, double maxScoreDifference, int tiedQueries,
                      double metricCodeDelta, IndexingStats indexing, StageReport evaluator) {

        double ndcgDifference() {
            return bicross.ndcg10 - reference.ndcg10;
        }

        boolean agrees() {
            return Math.abs(ndcgDifference()) < TOLERANCE;
        }
    }

    private OrtEvalCrossCheck() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: OrtEvalCrossCheck BEIR_DIR... (e.g. ../shared/data/adi ../shared/data/cisi)");
            System.exit(2);
        }
        BiEncoder biEncoder = BiEncoder.load(DefaultModels.biEncoder());
        BertTokenizer tokenizer = jarTokenizer();
        List<Comparison> results = new ArrayList<>();
        try (OrtSentenceEmbedder ort = new OrtSentenceEmbedder(Runtime.getRuntime().availableProcessors())) {
            for (String dir : args) {
                Comparison c = compare(TestCollection.load(Path.of(dir)), biEncoder, tokenizer, ort, System.err);
                results.add(c);
                System.err.println(row(c));
                System.err.printf(Locale.ROOT, "%s: top10 identical %d/%d, overlap@100 %.4f, R@100 with 400"
                                + " candidates %.4f, max|dcos| %.2e, %.1f q/s, indexing %.1f docs/s%n", c.collection(),
                        c.identicalTop10(), c.queries(), c.overlap100(), c.wideRecall100(),
                        c.maxScoreDifference(), c.evaluator().queriesPerSecond(), c.indexing().documentsPerSecond());
            }
        }
        System.out.println(header());
        results.forEach(c -> System.out.println(row(c)));
        System.out.println();
        System.out.println("diagnostics: top10= queries with the identical top 10; ov@100= mean overlap of the top 100;"
                + " max|dcos|= largest cosine difference of a returned hit; ties= queries with a near-tie at rank 10/11;"
                + " metric-code delta= MetricSummary vs TrecMetrics on the same run");
        for (Comparison c : results) {
            System.out.printf(Locale.ROOT, "%-12s docs %6d passages %6d  top10 %3d/%-3d ov@100 %.4f  R@100(N=400) %.4f  max|dcos| %.2e"
                            + "  ties %d  metric-code delta %.1e%n", c.collection(), c.documents(),
                    c.passages(), c.identicalTop10(), c.queries(), c.overlap100(), c.wideRecall100(), c.maxScoreDifference(),
                    c.tiedQueries(), c.metricCodeDelta());
        }
        System.out.println();
        System.out.println("bicross side as `bicross eval --no-rerank` computes it (Evaluator.biEncoder on the same retriever):");
        for (Comparison c : results) {
            StageReport r = c.evaluator();
            System.out.printf(Locale.ROOT, "%-12s nDCG@10 %.3f MRR@10 %.3f R@100 %.3f MAP@100 %.3f  %.1f q/s  p50 %.1f ms"
                            + "  p95 %.1f ms  indexing %.1f docs/s %.0f tokens/s%n", c.collection(), r.metrics().ndcg10(),
                    r.metrics().mrr10(), r.metrics().recall100(), r.metrics().map100(), r.queriesPerSecond(),
                    r.p50Millis(), r.p95Millis(), c.indexing().documentsPerSecond(), c.indexing().tokensPerSecond());
        }
        boolean ok = results.stream().allMatch(Comparison::agrees);
        System.out.println(ok ? "nDCG@10 agrees to 3 decimals on every collection"
                : "MISMATCH: nDCG@10 differs by " + TOLERANCE + " or more on "
                + results.stream().filter(c -> !c.agrees()).map(Comparison::collection).toList());
        System.exit(ok ? 0 : 1);
    }

    /** bicross' tokenizer reading the tokenizer.json that ships next to the ONNX graph. */
    static BertTokenizer jarTokenizer() throws IOException {
        try (InputStream in = OrtEvalCrossCheck.class.getResourceAsStream(OrtSentenceEmbedder.TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new IOException(OrtSentenceEmbedder.TOKENIZER_RESOURCE + " is not on the class path");
            }
            return BertTokenizer.fromTokenizerJson(in, OrtSentenceEmbedder.TOKENIZER_RESOURCE);
        }
    }

    /** Scores {@code collection} with bicross and with the reference; progress lines go to {@code log}. */
    static Comparison compare(TestCollection collection, BiEncoder biEncoder, BertTokenizer tokenizer,
                              OrtSentenceEmbedder ort, PrintStream log) throws OrtException {
        if (biEncoder.settings().maxSeqLength() != MAX_SEQ_LENGTH) {
            throw new IllegalStateException("the bi-encoder's max_seq_length is " + biEncoder.settings().maxSeqLength()
                    + ", the reference assumes all-MiniLM-L6-v2's " + MAX_SEQ_LENGTH);
        }
        String name = collection.name();
        List<Document> documents = collection.documents();
        List<Query> queries = collection.queries();

        // Reference: chunk, tokenize, embed with ONNX Runtime.
        Chunker chunker = new Chunker(tokenizer, ChunkingSettings.forMaxSeqLength(MAX_SEQ_LENGTH));
        List<int[]> passageIds = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int d = 0; d < documents.size(); d++) {
            for (Chunk chunk : chunker.split(titleAndText(documents.get(d)))) {
                passageIds.add(tokenizer.encode(chunk.text(), MAX_SEQ_LENGTH).ids());
                owner.add(d);
            }
        }
        long t0 = System.nanoTime();
        double[][] passages = ort.embed(passageIds, every(passageIds.size(), name + " ORT passages", log));
        log.printf(Locale.ROOT, "%s: ORT embedded %d passages in %.1f s%n", name, passages.length,
                (System.nanoTime() - t0) / 1e9);
        List<int[]> queryIds = queries.stream().map(q -> tokenizer.encode(q.text(), MAX_SEQ_LENGTH).ids()).toList();
        double[][] queryVectors = ort.embed(queryIds, done -> { });

        // Reference: exact search, a document scoring as its best passage.
        Map<String, Integer> documentIndex = new HashMap<>();
        for (int d = 0; d < documents.size(); d++) {
            documentIndex.put(documents.get(d).id(), d);
        }
        Map<String, List<String>> referenceRuns = new LinkedHashMap<>();
        List<double[]> referenceScores = new ArrayList<>();
        int tied = 0;
        for (int q = 0; q < queries.size(); q++) {
            double[] best = new double[documents.size()];
            Arrays.fill(best, Double.NEGATIVE_INFINITY);
            for (int p = 0; p < passages.length; p++) {
                best[owner.get(p)] = Math.max(best[owner.get(p)], dot(queryVectors[q], passages[p]));
            }
            Integer[] order = new Integer[documents.size()];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, (a, b) -> best[a] != best[b] ? Double.compare(best[b], best[a]) : Integer.compare(a, b));
            List<String> run = new ArrayList<>();
            for (int r = 0; r < Math.min(DEPTH, order.length); r++) {
                run.add(documents.get(order[r]).id());
            }
            if (order.length > 10 && best[order[9]] - best[order[10]] < 1e-6) {
                tied++;
            }
            referenceRuns.put(queries.get(q).id(), run);
            referenceScores.add(best);
        }

        Map<String, Map<String, Integer>> judgements = new LinkedHashMap<>();
        for (Query q : queries) {
            judgements.put(q.id(), collection.qrels().of(q.id()));
        }
        double[] reference = TrecMetrics.means(referenceRuns, judgements);
        // Printed now so a run cut short on a busy machine still leaves the reference figures.
        log.printf(Locale.ROOT, "%s: reference (ORT + exact) nDCG@10 %.4f MRR@10 %.4f R@100 %.4f%n", name,
                reference[0], reference[1], reference[2]);

        // bicross: the pipeline of `bicross eval --no-rerank`.
        Retriever retriever = Retriever.builder(biEncoder).build();
        var indexingProgress = every(documents.size(), name + " bicross indexing", log);
        IndexingStats indexing = retriever.addAll(documents, (done, total, unit) -> indexingProgress.accept((int) done));
        if (retriever.passageCount() != passages.length) {
            log.printf("%s: bicross indexed %d passages, the reference %d (tokenizers disagree?)%n", name,
                    retriever.passageCount(), passages.length);
        }
        Map<String, List<String>> bicrossRuns = new LinkedHashMap<>();
        double maxScoreDifference = 0;
        int identicalTop10 = 0;
        double overlap = 0;
        Map<String, List<String>> wideRuns = new LinkedHashMap<>();
        for (int q = 0; q < queries.size(); q++) {
            SearchResult result = retriever.search(queries.get(q).text(), new SearchOptions(DEPTH, DEPTH, false));
            List<String> run = new ArrayList<>();
            for (Hit hit : result.hits()) {
                run.add(hit.document().id());
                double referenceCosine = referenceScores.get(q)[documentIndex.get(hit.document().id())];
                maxScoreDifference = Math.max(maxScoreDifference, Math.abs(hit.biEncoderScore() - referenceCosine));
            }
            List<String> ref = referenceRuns.get(queries.get(q).id());
            if (run.subList(0, Math.min(10, run.size())).equals(ref.subList(0, Math.min(10, ref.size())))) {
                identicalTop10++;
            }
            Set<String> mine = new HashSet<>(run);
            overlap += ref.stream().filter(mine::contains).count() / (double) ref.size();
            bicrossRuns.put(queries.get(q).id(), run);
            wideRuns.put(queries.get(q).id(), retriever.search(queries.get(q).text(),
                    new SearchOptions(DEPTH, 4 * DEPTH, false)).hits().stream().map(h -> h.document().id()).toList());
        }

        StageReport evaluator = Evaluator.biEncoder(retriever, queries, collection.qrels(),
                (done, total, unit) -> { });
        Qrels judged = collection.qrels().restrictTo(queries.stream().map(Query::id).toList());
        MetricSummary ours = MetricSummary.of(bicrossRuns, judged);
        double[] oursRecomputed = TrecMetrics.means(bicrossRuns, judgements);
        double metricCodeDelta = Math.max(Math.abs(ours.ndcg10() - oursRecomputed[0]),
                Math.max(Math.abs(ours.mrr10() - oursRecomputed[1]), Math.abs(ours.recall100() - oursRecomputed[2])));
        return new Comparison(name, documents.size(), passages.length, queries.size(),
                new Scores(ours.ndcg10(), ours.mrr10(), ours.recall100()),
                new Scores(reference[0], reference[1], reference[2]),
                identicalTop10, overlap / queries.size(), TrecMetrics.means(wideRuns, judgements)[2], maxScoreDifference, tied, metricCodeDelta, indexing, evaluator);
    }

    /** The text a document is embedded from: "title text", or whichever of the two is present. */
    private static String titleAndText(Document d) {
        if (d.title().isEmpty()) {
            return d.text();
        }
        return d.text().isEmpty() ? d.title() : d.title() + " " + d.text();
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Logs progress each time another tenth of {@code total} is done. */
    private static java.util.function.IntConsumer every(int total, String what, PrintStream log) {
        int[] nextTenth = {1};
        return done -> {
            if (done * 10L >= (long) nextTenth[0] * total) {
                log.printf(Locale.ROOT, "%s: %d/%d%n", what, done, total);
                while (done * 10L >= (long) nextTenth[0] * total && nextTenth[0] <= 10) {
                    nextTenth[0]++;
                }
            }
        };
    }

    static String header() {
        return String.format(Locale.ROOT, "%-12s %5s | %-26s | %-26s | %-26s", "collection", "q",
                "nDCG@10  bicross   ORT  diff", "MRR@10   bicross   ORT  diff", "R@100    bicross   ORT  diff");
    }

    static String row(Comparison c) {
        Scores a = c.bicross();
        Scores b = c.reference();
        return String.format(Locale.ROOT, "%-12s %5d | %8.4f %7.4f %+8.4f  | %8.4f %7.4f %+8.4f  | %8.4f %7.4f %+8.4f %s",
                c.collection(), c.queries(), a.ndcg10, b.ndcg10, a.ndcg10 - b.ndcg10, a.mrr10, b.mrr10,
                a.mrr10 - b.mrr10, a.recall100, b.recall100, a.recall100 - b.recall100, c.agrees() ? "ok" : "MISMATCH");
    }
}
