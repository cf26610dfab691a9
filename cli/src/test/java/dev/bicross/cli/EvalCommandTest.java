package dev.bicross.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.embed.BiEncoder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bicross eval} on a tiny BEIR folder made here. The bi-encoder stage's MRR@10 and nDCG@10 (binary gains)
 * are recomputed in the test from an exact cosine ranking, so the table is checked against an independent count.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvalCommandTest {

    private static final Map<String, String> DOCUMENTS = new java.util.LinkedHashMap<>();
    private static final Map<String, String> QUERIES = new java.util.LinkedHashMap<>();
    /** query id → relevant document ids (grade 1). */
    private static final Map<String, Set<String>> QRELS = new java.util.LinkedHashMap<>();

    static {
        DOCUMENTS.put("d1", "A man is playing guitar");
        DOCUMENTS.put("d2", "The cat sits outside");
        DOCUMENTS.put("d3", "I love pasta");
        DOCUMENTS.put("d4", "Violins are played with a bow");
        DOCUMENTS.put("d5", "The stock market fell sharply on Monday");
        DOCUMENTS.put("d6", "Fresh bread is baked every morning");
        DOCUMENTS.put("d7", "Heavy rain is expected over the weekend");
        DOCUMENTS.put("d8", "The train to Paris leaves at noon");
        DOCUMENTS.put("d9", "Dogs love long walks in the park");
        DOCUMENTS.put("d10", "Tomato sauce needs garlic and basil");
        DOCUMENTS.put("d11", "Investors worry about interest rates");
        DOCUMENTS.put("d12", "The orchestra tuned their instruments");
        QUERIES.put("q1", "How to play musical instruments?");
        QUERIES.put("q2", "italian cooking recipes");
        QUERIES.put("q3", "weather forecast");
        QUERIES.put("q4", "pets at home");
        QUERIES.put("q5", "an unjudged query is not evaluated");
        QRELS.put("q1", Set.of("d1", "d4", "d12"));
        QRELS.put("q2", Set.of("d10", "d6"));
        QRELS.put("q3", Set.of("d8")); // deliberately odd, so not every query scores 1
        QRELS.put("q4", Set.of("d2", "d9"));
    }

    @TempDir
    static Path temp;
    private Path collection;
    private double[] expectedMrrAndNdcg;

    @BeforeAll
    void writeCollection() throws IOException {
        TestModels.cache();
        collection = Files.createDirectories(temp.resolve("tiny-beir"));
        ObjectMapper mapper = new ObjectMapper();
        List<String> corpus = new ArrayList<>();
        DOCUMENTS.forEach((id, text) -> corpus.add(mapper.createObjectNode().put("_id", id).put("title", "")
                .put("text", text).toString()));
        Files.write(collection.resolve("corpus.jsonl"), corpus);
        List<String> queries = new ArrayList<>();
        QUERIES.forEach((id, text) -> queries.add(mapper.createObjectNode().put("_id", id).put("text", text).toString()));
        Files.write(collection.resolve("queries.jsonl"), queries);
        List<String> qrels = new ArrayList<>(List.of("query-id\tcorpus-id\tscore"));
        QRELS.forEach((q, docs) -> docs.stream().sorted().forEach(d -> qrels.add(q + "\t" + d + "\t1")));
        Files.write(collection.resolve("qrels.tsv"), qrels);
    }

    /** MRR@10 and nDCG@10 (binary gains, log2 discount) over the judged queries, from an exact cosine ranking. */
    private double[] expectedBiEncoderMrrAndNdcg() throws IOException {
        if (expectedMrrAndNdcg == null) {
            expectedMrrAndNdcg = computeBiEncoderMrrAndNdcg();
        }
        return expectedMrrAndNdcg;
    }

    private double[] computeBiEncoderMrrAndNdcg() throws IOException {
        BiEncoder biEncoder = BiEncoder.load(TestModels.biEncoder());
        List<String> ids = new ArrayList<>(DOCUMENTS.keySet());
        List<float[]> docs = biEncoder.encode(new ArrayList<>(DOCUMENTS.values()));
        double mrr = 0;
        double ndcg = 0;
        for (var judged : QRELS.entrySet()) {
            float[] q = biEncoder.encode(QUERIES.get(judged.getKey()));
            List<String> ranking = new ArrayList<>(ids);
            ranking.sort(Comparator.comparingDouble((String id) -> -cosine(q, docs.get(ids.indexOf(id)))));
            double dcg = 0;
            double idcg = 0;
            double reciprocal = 0;
            for (int r = 0; r < 10; r++) {
                if (judged.getValue().contains(ranking.get(r))) {
                    dcg += 1 / (Math.log(r + 2) / Math.log(2));
                    reciprocal = reciprocal == 0 ? 1.0 / (r + 1) : reciprocal;
                }
                if (r < judged.getValue().size()) {
                    idcg += 1 / (Math.log(r + 2) / Math.log(2));
                }
            }
            mrr += reciprocal;
            ndcg += dcg / idcg;
        }
        return new double[]{mrr / QRELS.size(), ndcg / QRELS.size()};
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

    @Test
    void tablePrintsTheBiEncoderStageWithItsMetrics() throws IOException {
        CommandRun run = CommandRun.inProcess("eval", collection.toString(), "--no-rerank");

        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals(2, lines.size(), run.toString());
        assertTrue(lines.get(0).matches("collection +stage +N +nDCG@10 +MRR@10 +R@100 +MAP@100 +q/s +p50 ms +p95 ms"),
                lines.get(0));
        String[] row = lines.get(1).trim().split(" +");
        assertEquals("tiny-beir", row[0]);
        assertEquals("bi-encoder", row[1]);
        assertEquals("100", row[2], "the bi-encoder stage ranks 100 deep");
        double[] expected = expectedBiEncoderMrrAndNdcg();
        assertEquals(expected[1], Double.parseDouble(row[3]), 6e-4, "nDCG@10");
        assertEquals(expected[0], Double.parseDouble(row[4]), 6e-4, "MRR@10");
        assertEquals(1.0, Double.parseDouble(row[5]), 0.0, "12 documents: all relevant ones are in the top 100");
        assertTrue(run.err().contains("tiny-beir indexing [") && run.err().contains("4/4 queries"),
                "progress on stderr: " + run);
    }

    @Test
    void jsonShowsBothStagesWithTheCandidateCount() throws IOException {
        CommandRun run = CommandRun.inProcess("eval", collection.toString(), "--json", "--candidates", "10",
                "--cross-model", TestModels.crossEncoder().toString());

        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals(2, lines.size(), run.toString());
        ObjectMapper mapper = new ObjectMapper();
        JsonNode bi = mapper.readTree(lines.get(0));
        JsonNode both = mapper.readTree(lines.get(1));
        assertEquals("bi-encoder", bi.get("stage").asText());
        assertEquals(100, bi.get("candidates").asInt());
        assertEquals("bi-encoder + cross-encoder", both.get("stage").asText());
        assertEquals(10, both.get("candidates").asInt(), "N is shown");
        for (JsonNode stage : List.of(bi, both)) {
            assertEquals("tiny-beir", stage.get("collection").asText());
            assertEquals(4, stage.get("queries").asInt(), "only judged queries are evaluated");
            for (String metric : List.of("ndcg@10", "mrr@10", "recall@100", "map@100")) {
                double v = stage.get(metric).asDouble();
                assertTrue(v >= 0 && v <= 1, metric + " = " + v);
            }
            assertTrue(stage.get("p50_ms").asDouble() <= stage.get("p95_ms").asDouble(), stage.toString());
        }
        double[] expected = expectedBiEncoderMrrAndNdcg();
        assertEquals(expected[1], bi.get("ndcg@10").asDouble(), 1e-4);
        // With N = 10 of 12 documents, recall may drop below 1 after re-ranking but never rises above stage 1.
        assertTrue(both.get("recall@100").asDouble() <= bi.get("recall@100").asDouble());
    }

    @Test
    void tooFewCandidatesAndMissingFilesAreOneLineErrors() throws IOException {
        CommandRun few = CommandRun.inProcess("eval", collection.toString(), "--candidates", "5", "--no-rerank");
        assertEquals(CliErrors.FAILURE, few.exitCode(), few.toString());
        assertTrue(few.firstErrorLine().startsWith("bicross: --candidates must be at least 10"), few.toString());
        assertFalse(few.hasStackTrace(), few.toString());

        Path broken = Files.createDirectories(temp.resolve("no-qrels"));
        Files.copy(collection.resolve("corpus.jsonl"), broken.resolve("corpus.jsonl"));
        Files.copy(collection.resolve("queries.jsonl"), broken.resolve("queries.jsonl"));
        CommandRun missing = CommandRun.inProcess("eval", broken.toString(), "--no-rerank");
        assertEquals(CliErrors.FAILURE, missing.exitCode(), missing.toString());
        assertTrue(missing.firstErrorLine().startsWith("bicross: ") && missing.firstErrorLine().contains("qrels.tsv"),
                missing.toString());
        assertFalse(missing.hasStackTrace(), missing.toString());
    }
}
