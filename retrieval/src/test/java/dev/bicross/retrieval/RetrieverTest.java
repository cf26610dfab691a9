package dev.bicross.retrieval;

import dev.bicross.engine.TinyBert;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import dev.bicross.index.ModelMismatchException;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two-stage plumbing on tiny random models: their scores mean nothing, so the tests check what the stages
 * promise — scores equal to the encoders' own, order follows scores, k and N respected, chunks map to their
 * documents — not relevance.
 */
class RetrieverTest {

    @TempDir
    static Path dir;
    static BiEncoder biEncoder;
    static BiEncoder otherBiEncoder;
    static CrossEncoder crossEncoder;

    private static Path folder(TinyBert bert, String name) throws IOException {
        Path folder = bert.write(dir.resolve(name), bert.labels > 0 ? "bert." : "", SafetensorsWriter.Dtype.F32);
        String words = IntStream.range(0, bert.vocab - 5).mapToObj(i -> "w" + i).collect(Collectors.joining("\n"));
        Files.writeString(folder.resolve("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" + words + "\n");
        return folder;
    }

    static Path biFolder;

    @BeforeAll
    static void models() throws IOException {
        // 64 positions so that a 40-word document needs several chunks of 16 tokens
        biFolder = folder(new TinyBert(1, 16, 4, 40, 2, 50, 64, 2, 0), "bi");
        biEncoder = BiEncoder.load(biFolder, Kernels.create());
        otherBiEncoder = BiEncoder.load(folder(new TinyBert(2, 16, 4, 40, 2, 50, 64, 2, 0), "other"), Kernels.create());
        crossEncoder = CrossEncoder.load(folder(new TinyBert(3, 16, 4, 40, 2, 50, 64, 2, 1), "cross"), Kernels.create());
    }

    private static List<Document> corpus(int n, long seed) {
        Random r = new Random(seed);
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int words = 3 + r.nextInt(i % 10 == 0 ? 40 : 10); // every tenth is long enough to be chunked
            String text = IntStream.range(0, words).mapToObj(j -> "w" + r.nextInt(45)).collect(Collectors.joining(" "));
            docs.add(new Document("doc-" + i, i % 3 == 0 ? "w" + (i % 45) : "", text, Map.of("n", "" + i)));
        }
        return docs;
    }

    private static Retriever retriever(CrossEncoder ce) {
        Retriever r = Retriever.builder(biEncoder).crossEncoder(ce).chunking(new ChunkingSettings(14, 3)).seed(7).build();
        r.addAll(corpus(120, 5), Progress.NONE);
        return r;
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
    void stageOneScoresAreCosinesOfBestPassagesInDescendingOrder() {
        Retriever r = retriever(null);
        assertEquals(120, r.size());
        assertTrue(r.passageCount() > 120, "long documents are chunked: " + r.passageCount() + " passages");
        String query = "w3 w17 w29";
        SearchResult result = r.search(query, new SearchOptions(10, 30, true));
        assertEquals(10, result.hits().size());
        assertEquals(30, result.candidates());
        assertEquals(0, result.rerankNanos(), "no cross-encoder, no stage 2");
        float[] q = biEncoder.encode(query);
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < result.hits().size(); i++) {
            Hit hit = result.hits().get(i);
            assertFalse(hit.reranked());
            assertTrue(seen.add(hit.document().id()), "a document appears once: " + hit.document().id());
            assertTrue(hit.document().fullText().contains(hit.passage()), "the passage is part of its document");
            assertEquals(cosine(q, biEncoder.encode(hit.passage())), hit.biEncoderScore(), 1e-4);
            if (i > 0) {
                assertTrue(result.hits().get(i - 1).score() >= hit.score(), "best first");
            }
        }
    }

    @Test
    void rerankingOrdersTheTopNCandidatesByCrossEncoderScore() {
        Retriever r = retriever(crossEncoder);
        String query = "w8 w2";
        SearchResult stageOne = r.search(query, new SearchOptions(20, 20, false));
        SearchResult both = r.search(query, new SearchOptions(5, 20, true));
        assertEquals(5, both.hits().size());
        assertEquals(20, both.candidates());
        Set<String> candidates = stageOne.hits().stream().map(h -> h.document().id()).collect(Collectors.toSet());
        // the re-ranked hits are the N candidates' best, each scored exactly as the cross-encoder scores the pair
        List<Hit> all = r.search(query, new SearchOptions(20, 20, true)).hits();
        assertEquals(candidates, all.stream().map(h -> h.document().id()).collect(Collectors.toSet()));
        float[] expected = crossEncoder.predict(all.stream().map(h -> new TextPair(query, h.passage())).toList());
        for (int i = 0; i < all.size(); i++) {
            assertTrue(all.get(i).reranked());
            assertEquals(expected[i], all.get(i).crossEncoderScore(), 1e-6);
        }
        List<Float> scores = all.stream().map(Hit::crossEncoderScore).toList();
        assertEquals(scores.stream().sorted(Comparator.reverseOrder()).toList(), scores, "order follows the scores");
        assertEquals(all.subList(0, 5).stream().map(h -> h.document().id()).toList(),
                both.hits().stream().map(h -> h.document().id()).toList(), "k cuts the re-ranked list");
        assertTrue(both.rerankNanos() > 0);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SearchOptions(10, 5, true));
        assertTrue(e.getMessage().contains("at least k"), e.getMessage());
    }

    @Test
    void duplicateIdsAreRejectedBeforeAnythingChanges() {
        Retriever r = retriever(null);
        int passages = r.passageCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.addAll(List.of(new Document("new", "", "w1"), new Document("doc-3", "", "w2")), Progress.NONE));
        assertTrue(e.getMessage().contains("doc-3"), e.getMessage());
        assertEquals(120, r.size());
        assertEquals(passages, r.passageCount());
    }

    @Test
    void saveAndOpenKeepResultsAndRefuseAnotherModel() throws IOException {
        Retriever r = retriever(crossEncoder);
        Path saved = dir.resolve("saved");
        r.save(saved);
        r.save(saved); // replacing an existing folder works too
        Retriever reopened = Retriever.open(saved, biEncoder, crossEncoder);
        assertEquals(r.size(), reopened.size());
        assertEquals(r.passageCount(), reopened.passageCount());
        for (String query : List.of("w1 w2 w3", "w44", "w10 w10 w20")) {
            SearchOptions options = new SearchOptions(10, 25, true);
            List<Hit> before = r.search(query, options).hits();
            List<Hit> after = reopened.search(query, options).hits();
            // Same documents, passages and ranks; scores to float rounding (the SIMD encoders may differ in the
            // last bit between an interpreted and a JIT-compiled call).
            assertEquals(before.size(), after.size());
            for (int i = 0; i < before.size(); i++) {
                Hit b = before.get(i), a = after.get(i);
                String where = "'" + query + "' hit " + i;
                assertEquals(b.document(), a.document(), where);
                assertEquals(b.passage(), a.passage(), where);
                assertEquals(b.biEncoderRank(), a.biEncoderRank(), where);
                assertEquals(b.biEncoderScore(), a.biEncoderScore(), 1e-5, where);
                assertEquals(b.crossEncoderScore(), a.crossEncoderScore(), 1e-5, where);
            }
        }
        ModelMismatchException mismatch = assertThrows(ModelMismatchException.class,
                () -> Retriever.open(saved, otherBiEncoder, null));
        assertTrue(mismatch.getMessage().contains("re-index"), mismatch.getMessage());

        Path passages = saved.resolve(RetrieverFiles.PASSAGES);
        try (RandomAccessFile f = new RandomAccessFile(passages.toFile(), "rw")) {
            f.seek(20);
            f.write(f.read() ^ 0x40);
        }
        IOException corrupt = assertThrows(IOException.class, () -> Retriever.open(saved, biEncoder, null));
        assertTrue(corrupt.getMessage().contains(RetrieverFiles.PASSAGES), corrupt.getMessage());

        r.save(saved); // a good save repairs it
        try (RandomAccessFile f = new RandomAccessFile(passages.toFile(), "rw")) {
            f.setLength(f.length() - 5);
        }
        IOException truncated = assertThrows(IOException.class, () -> Retriever.open(saved, biEncoder, null));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
    }

    /**
     * An index records the precision of its embeddings; opening it with the same weights at another precision is
     * refused with a message naming both precisions and the flag, in both directions. Older manifests without
     * a precision read as FP32.
     */
    @Test
    void int8IndexRefusesFp32QueriesAndTheReverse() throws IOException {
        BiEncoder int8 = BiEncoder.load(biFolder, Kernels.create(), Precision.INT8);
        Retriever r = Retriever.builder(int8).chunking(new ChunkingSettings(14, 3)).seed(7).build();
        r.addAll(corpus(30, 9), Progress.NONE);
        Path saved = dir.resolve("int8-index");
        r.save(saved);
        assertEquals(Precision.INT8, Retriever.recordedPrecision(saved));
        Retriever reopened = Retriever.open(saved, int8, null);
        assertEquals(r.search("w1 w2", new SearchOptions(5, 10, false)).hits().getFirst().document(),
                reopened.search("w1 w2", new SearchOptions(5, 10, false)).hits().getFirst().document());

        ModelMismatchException fp32Query = assertThrows(ModelMismatchException.class,
                () -> Retriever.open(saved, biEncoder, null));
        assertTrue(fp32Query.getMessage().contains("holds int8 embeddings but the bi-encoder runs at fp32")
                && fp32Query.getMessage().contains("--precision int8"), fp32Query.getMessage());

        Path fp32Saved = dir.resolve("fp32-index");
        Retriever fp32 = Retriever.builder(biEncoder).chunking(new ChunkingSettings(14, 3)).seed(7).build();
        fp32.addAll(corpus(30, 9), Progress.NONE);
        fp32.save(fp32Saved);
        assertEquals(Precision.FP32, Retriever.recordedPrecision(fp32Saved));
        ModelMismatchException int8Query = assertThrows(ModelMismatchException.class,
                () -> Retriever.open(fp32Saved, int8, null));
        assertTrue(int8Query.getMessage().contains("--precision fp32"), int8Query.getMessage());

        // a manifest from before precisions were recorded: FP32
        Path manifest = fp32Saved.resolve(RetrieverFiles.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replaceAll(",\\s*\"precision\"\\s*:\\s*\"fp32\"", ""));
        assertFalse(Files.readString(manifest).contains("precision"));
        assertEquals(Precision.FP32, Retriever.recordedPrecision(fp32Saved));
        Retriever.open(fp32Saved, biEncoder, null);
    }
}
