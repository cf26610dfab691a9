package dev.bicross.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bicross index} on a tiny JSONL corpus, then {@code bicross search} against it. Stage 1 is checked against
 * an exact search done here with the bi-encoder; stage 2 against the cross-encoder's scores of the candidates.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IndexSearchCommandTest {

    private static final String QUERY = "how do I play a string instrument";
    /** id → {title, text}; twelve short documents, so each is one passage. */
    private static final Map<String, String[]> CORPUS = new java.util.LinkedHashMap<>();

    static {
        CORPUS.put("guitar", new String[]{"Guitar", "A man is playing guitar on the street"});
        CORPUS.put("violin", new String[]{"Violin lessons", "Hold the bow loosely and draw it across the strings"});
        CORPUS.put("cat", new String[]{"", "The cat sits outside"});
        CORPUS.put("pasta", new String[]{"", "I love pasta with tomato sauce"});
        CORPUS.put("piano", new String[]{"Piano", "Practice scales slowly with both hands every day"});
        CORPUS.put("stocks", new String[]{"Markets", "The stock market fell sharply on Monday"});
        CORPUS.put("cello", new String[]{"Cello", "The cello is played seated, with the instrument between the knees"});
        CORPUS.put("bread", new String[]{"Baking", "Fresh bread is baked every morning"});
        CORPUS.put("rain", new String[]{"", "Heavy rain is expected over the weekend"});
        CORPUS.put("drums", new String[]{"Drums", "Keep time with the kick drum and the hi-hat"});
        CORPUS.put("ukulele", new String[]{"Ukulele", "Four nylon strings, strummed with the thumb"});
        CORPUS.put("train", new String[]{"", "The train to Paris leaves at noon"});
    }

    @TempDir
    static Path temp;
    private Path corpus;
    private Path index;
    private CommandRun indexRun;
    /** Exact stage 1: every document by cosine with the query, best first. */
    private List<String> exactOrder;
    private final Map<String, Double> cosine = new HashMap<>();

    @BeforeAll
    void indexTheCorpus() throws IOException {
        TestModels.cache(); // the default bi-encoder is found through -Dbicross.cache
        ObjectMapper mapper = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        CORPUS.forEach((id, doc) -> lines.add(mapper.createObjectNode().put("_id", id).put("title", doc[0])
                .put("text", doc[1]).toString()));
        corpus = Files.write(temp.resolve("tiny.jsonl"), lines);
        index = temp.resolve("index");
        indexRun = CommandRun.inProcess("index", "--corpus", corpus.toString(), "--out", index.toString());

        BiEncoder biEncoder = BiEncoder.load(TestModels.biEncoder());
        float[] q = biEncoder.encode(QUERY);
        for (var e : CORPUS.entrySet()) {
            cosine.put(e.getKey(), cosine(q, biEncoder.encode(fullText(e.getValue()))));
        }
        exactOrder = new ArrayList<>(CORPUS.keySet());
        exactOrder.sort(Comparator.comparingDouble((String id) -> -cosine.get(id)));
    }

    private static String fullText(String[] doc) {
        return doc[0].isEmpty() ? doc[1] : doc[0] + " " + doc[1];
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

    private static List<JsonNode> json(CommandRun run) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> hits = new ArrayList<>();
        for (String line : run.out().lines().toList()) {
            hits.add(mapper.readTree(line));
        }
        return hits;
    }

    @Test
    void indexReportsTheCorpusAndWritesAFolder() {
        assertEquals(0, indexRun.exitCode(), indexRun.toString());
        assertTrue(indexRun.out().contains("indexed 12 documents (12 passages"), indexRun.toString());
        assertTrue(indexRun.out().contains("saved to " + index), indexRun.toString());
        assertTrue(indexRun.err().contains("indexing [") && indexRun.err().contains("12/12"),
                "progress bar on stderr: " + indexRun);
        assertTrue(Files.isDirectory(index));
    }

    @Test
    void noRerankReturnsTheExactTopKByCosine() throws IOException {
        CommandRun run = CommandRun.inProcess("search", "--index", index.toString(), QUERY, "--no-rerank",
                "--k", "4", "--json");

        assertEquals(0, run.exitCode(), run.toString());
        List<JsonNode> hits = json(run);
        assertEquals(exactOrder.subList(0, 4), hits.stream().map(h -> h.get("id").asText()).toList(), run.toString());
        for (JsonNode h : hits) {
            assertEquals(cosine.get(h.get("id").asText()), h.get("bi_encoder_score").asDouble(), 1e-5);
            assertTrue(h.get("cross_encoder_score").isNull(), "no re-ranking with --no-rerank");
            assertEquals(h.get("bi_encoder_score").asDouble(), h.get("score").asDouble(), 0.0);
        }
        assertTrue(run.err().contains("re-rank 0.0 ms"), run.toString());
    }

    @Test
    void plainTextOutputHasOneLinePerHit() {
        CommandRun run = CommandRun.inProcess("search", "--index", index.toString(), QUERY, "--no-rerank", "-k", "3");

        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run.toString());
        for (int r = 0; r < 3; r++) {
            assertTrue(lines.get(r).matches(" *" + (r + 1) + "\\. " + exactOrder.get(r) + " +bi \\d\\.\\d{4}  .+"),
                    lines.get(r));
        }
    }

    @Test
    void rerankingOrdersTheTopNCandidatesByCrossEncoderScore() throws IOException {
        int k = 3;
        int n = 5;
        CommandRun run = CommandRun.inProcess("search", "--index", index.toString(), QUERY, "--k", String.valueOf(k),
                "--candidates", String.valueOf(n), "--cross-model", TestModels.crossEncoder().toString(), "--json");

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("N = 5 candidates"), run.toString());
        List<JsonNode> hits = json(run);
        assertEquals(k, hits.size(), run.toString());

        // Expected: the exact top N by cosine, re-scored by the cross-encoder, best k.
        List<String> candidates = exactOrder.subList(0, n);
        CrossEncoder crossEncoder = CrossEncoder.load(TestModels.crossEncoder());
        float[] scores = crossEncoder.predict(candidates.stream()
                .map(id -> new TextPair(QUERY, fullText(CORPUS.get(id)))).toList());
        List<String> expected = new ArrayList<>(candidates);
        expected.sort(Comparator.comparingDouble((String id) -> -scores[candidates.indexOf(id)]));
        assertEquals(expected.subList(0, k), hits.stream().map(h -> h.get("id").asText()).toList(), run.toString());

        for (JsonNode h : hits) {
            String id = h.get("id").asText();
            assertEquals(scores[candidates.indexOf(id)], h.get("cross_encoder_score").asDouble(), 1e-4, id);
            assertEquals(h.get("cross_encoder_score").asDouble(), h.get("score").asDouble(), 0.0);
            assertEquals(candidates.indexOf(id) + 1, h.get("bi_encoder_rank").asInt(), "stage-1 rank of " + id);
            assertTrue(h.get("bi_encoder_rank").asInt() <= n, "hits come from the N candidates");
            assertEquals(fullText(CORPUS.get(id)), h.get("passage").asText());
        }
        // The random head re-orders this shortlist, so the test would notice a skipped re-ranking.
        assertFalse(expected.subList(0, k).equals(candidates.subList(0, k)),
                "the cross-encoder kept the bi-encoder order; pick another query so the test shows a re-ranking");
    }

    @Test
    void withoutTheDefaultCrossEncoderSearchSaysSoAndReturnsStageOne() throws IOException {
        Path emptyHubCache = Files.createDirectories(temp.resolve("hf-hub-empty"));
        CommandRun run = CommandRun.childJvm(Map.of("HF_HUB_CACHE", emptyHubCache.toString(), "HF_HUB_OFFLINE", "1"),
                List.of("-Dbicross.cache=" + TestModels.cache()),
                List.of("search", "--index", index.toString(), QUERY, "--k", "2", "--json"));

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("Cross-encoder cross-encoder/ms-marco-MiniLM-L6-v2 is not available"),
                run.toString());
        assertTrue(run.err().contains("./bicross pull cross-encoder/ms-marco-MiniLM-L6-v2"), run.toString());
        List<JsonNode> hits = json(run);
        assertEquals(exactOrder.subList(0, 2), hits.stream().map(h -> h.get("id").asText()).toList(), run.toString());
        assertTrue(hits.stream().allMatch(h -> h.get("cross_encoder_score").isNull()), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void kAboveCandidatesIsRefusedInOneLine() {
        CommandRun run = CommandRun.inProcess("search", "--index", index.toString(), QUERY, "--k", "5",
                "--candidates", "3", "--no-rerank");

        assertEquals(CliErrors.FAILURE, run.exitCode(), run.toString());
        assertEquals("bicross: --candidates (3) must be at least --k (5)", run.firstErrorLine(), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
        assertEquals("", run.out());

        CommandRun verbose = CommandRun.inProcess("search", "--index", index.toString(), QUERY, "--k", "5",
                "--candidates", "3", "--no-rerank", "--verbose");
        assertEquals(CliErrors.FAILURE, verbose.exitCode());
        assertTrue(verbose.hasStackTrace(), "--verbose shows the stack trace: " + verbose);
    }

    @Test
    void missingIndexAndMissingCorpusAreNamed() {
        Path absent = temp.resolve("absent-index");
        CommandRun search = CommandRun.inProcess("search", "--index", absent.toString(), QUERY, "--no-rerank");
        assertEquals(CliErrors.FAILURE, search.exitCode(), search.toString());
        assertTrue(search.firstErrorLine().startsWith("bicross: ")
                && search.firstErrorLine().contains("absent-index"), search.toString());
        assertFalse(search.hasStackTrace(), search.toString());

        CommandRun index = CommandRun.inProcess("index", "--corpus", temp.resolve("nothing.jsonl").toString(),
                "--out", temp.resolve("out").toString());
        assertEquals(CliErrors.FAILURE, index.exitCode(), index.toString());
        assertTrue(index.firstErrorLine().startsWith("bicross: ")
                && index.firstErrorLine().contains("nothing.jsonl"), index.toString());
        assertFalse(index.hasStackTrace(), index.toString());
        assertFalse(Files.exists(temp.resolve("out")), "a failed index leaves no folder");
    }

    /** An int8 index: search picks the recorded precision by itself, and refuses an explicit other one. */
    @Test
    void int8IndexIsSearchedAtInt8AndRefusesFp32() throws IOException {
        Path int8Index = temp.resolve("int8-index");
        CommandRun built = CommandRun.inProcess("index", "--corpus", corpus.toString(), "--out", int8Index.toString(),
                "--precision", "int8");
        assertEquals(0, built.exitCode(), built.toString());
        CommandRun search = CommandRun.inProcess("search", "--index", int8Index.toString(), QUERY, "--no-rerank",
                "--k", "3", "--json");
        assertEquals(0, search.exitCode(), search.toString());
        assertEquals(exactOrder.getFirst(), json(search).getFirst().get("id").asText(), search.toString());
        CommandRun mixed = CommandRun.inProcess("search", "--index", int8Index.toString(), QUERY, "--no-rerank",
                "--precision", "fp32");
        assertEquals(1, mixed.exitCode(), mixed.toString());
        assertTrue(mixed.err().contains("holds int8 embeddings but the bi-encoder runs at fp32")
                && mixed.err().contains("--precision int8"), mixed.toString());
    }
}
