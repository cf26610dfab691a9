package dev.bicross.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.embed.Embedding;
import dev.bicross.tokenizer.Encoding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The acceptance test of the engine: all-MiniLM-L6-v2 converted from the Maven Central ONNX file, run by bicross,
 * against ONNX Runtime FP32 on the same file (and against the stored ONNX Runtime reference of nine texts).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BiEncoderOrtParityTest {

    private static final double MIN_COSINE = 0.99999;
    private static final double MAX_ABS_DIFF = 1e-4;
    /** Shared texts compared (plus an empty and a whitespace-only one). */
    private static final int TEXTS = 1010;
    /** Leading documents of each collection, whatever their length: these include the truncated ones. */
    private static final int LONG_DOCS_PER_COLLECTION = 25;
    /** Texts also encoded one by one (each a batch of one), compared with the batched run. */
    private static final int ONE_BY_ONE = 100;

    private Path work;
    private BiEncoder encoder;
    private OrtReference ort;
    private Path shared;

    @BeforeAll
    void convertAndLoad() throws Exception {
        work = Files.createTempDirectory("bicross-parity");
        Path onnx = work.resolve("all-minilm-l6-v2.onnx");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (InputStream in = BiEncoderOrtParityTest.class.getResourceAsStream("/" + resource)) {
                assertTrue(in != null, resource + " is not on the test class path");
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path model = OnnxConverter.convert(onnx, work.resolve("model")).folder();
        encoder = BiEncoder.load(model);
        ort = new OrtReference(onnx);
        String sharedProperty = System.getProperty("bicross.shared");
        shared = sharedProperty == null ? null : Path.of(sharedProperty);
        System.out.printf("parity: %s on %s kernels, max_seq_length %d, %s pooling, normalize %s%n",
                encoder.modelName(), encoder.model().kernels().name(), encoder.settings().maxSeqLength(),
                encoder.settings().pooling(), encoder.settings().normalize());
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (ort != null) {
            ort.close();
        }
        if (work != null) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Path sharedFile(String relative) {
        assumeTrue(shared != null && Files.exists(shared.resolve(relative)),
                "skipped: ../shared/" + relative + " not available (set -Dbicross.shared)");
        return shared.resolve(relative);
    }

    /** Worst cosine and worst |diff| over a set of comparisons. */
    private static final class Agreement {
        double minCosine = 1;
        double maxDiff = 0;
        int count;
        String worst = "";

        void add(String label, float[] ours, float[] reference) {
            assertEquals(reference.length, ours.length, label + ": dimension");
            double dot = 0, a = 0, b = 0, diff = 0;
            for (int i = 0; i < ours.length; i++) {
                dot += (double) ours[i] * reference[i];
                a += (double) ours[i] * ours[i];
                b += (double) reference[i] * reference[i];
                diff = Math.max(diff, Math.abs(ours[i] - reference[i]));
            }
            double cosine = dot / Math.sqrt(a * b);
            count++;
            if (cosine < minCosine || diff > maxDiff) {
                worst = label;
            }
            minCosine = Math.min(minCosine, cosine);
            maxDiff = Math.max(maxDiff, diff);
        }

        void check(String what) {
            System.out.printf("parity: %s: %d comparisons, min cosine %.8f, max |diff| %.3g (worst: %s)%n",
                    what, count, minCosine, maxDiff, worst);
            assertTrue(minCosine >= MIN_COSINE, what + ": min cosine " + minCosine + " at " + worst);
            assertTrue(maxDiff <= MAX_ABS_DIFF, what + ": max |diff| " + maxDiff + " at " + worst);
        }
    }

    @Test
    void nineReferenceTextsMatchStoredOrtOutputAndTokenIds() throws Exception {
        JsonNode reference = new ObjectMapper().readTree(
                sharedFile("reference/all-minilm-l6-v2.ort-fp32.json").toFile());
        Agreement stored = new Agreement();
        Agreement live = new Agreement();
        List<String> texts = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (JsonNode item : reference.path("items")) {
            String text = item.path("text").asText();
            texts.add(text);
            int[] ids = new int[item.path("token_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = item.path("token_ids").get(i).asInt();
            }
            Encoding encoding = encoder.tokenizer().encode(text, encoder.settings().maxSeqLength());
            assertArrayEquals(ids, encoding.ids(), "token ids of '" + text + "'");
            float[] vector = new float[item.path("embedding").size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = (float) item.path("embedding").get(i).asDouble();
            }
            expected.add(vector);
            float[] ours = encoder.encode(text);
            stored.add(text, ours, vector);
            live.add(text, ours, ort.embedding(ids));
        }
        assertEquals(9, texts.size(), "reference items");
        stored.check("nine texts vs stored ORT 1.29 reference");
        live.check("nine texts vs live ORT");

        List<float[]> batched = encoder.encode(texts, 4);
        Agreement batch = new Agreement();
        for (int i = 0; i < texts.size(); i++) {
            batch.add(texts.get(i), batched.get(i), expected.get(i));
        }
        batch.check("nine texts in mixed-length batches of 4 vs stored reference");

        float[] query = encoder.encode(texts.get(reference.path("query_index").asInt()));
        for (Map.Entry<String, JsonNode> e : reference.path("cosine_query_vs_docs").properties()) {
            double cosine = dot(query, encoder.encode(e.getKey()));
            System.out.printf("parity: cos(query, '%s') = %.8f (reference %.8f)%n", e.getKey(), cosine,
                    e.getValue().asDouble());
            assertEquals(e.getValue().asDouble(), cosine, 1e-4, "cosine vs '" + e.getKey() + "'");
        }
    }

    @Test
    void seedExampleReproduces() {
        float[] query = encoder.encode("How to play musical instruments?");
        List<float[]> docs = encoder.encode(List.of("The cat sits outside", "A man is playing guitar", "I love pasta"));
        // ≈ 0.001, 0.434, 0.083; the unrounded values are ONNX Runtime's, from shared/reference (cosine_query_vs_docs)
        double[] expected = {0.00097882, 0.43403887, 0.08284451};
        for (int i = 0; i < expected.length; i++) {
            double cosine = dot(query, docs.get(i));
            System.out.printf("parity: seed example cosine %d = %.8f (ORT %.8f)%n", i, cosine, expected[i]);
            assertEquals(expected[i], cosine, 1e-4, "seed cosine " + i);
        }
    }

    @Test
    void thousandSharedTextsMatchOrtBatchedAndOneByOne() throws Exception {
        Path data = sharedFile("data");
        List<String> texts = sharedTexts(data);
        assertTrue(texts.size() >= 1000, "texts: " + texts.size());

        List<Embedding> batched = encoder.encodeDetailed(texts, 32);
        Agreement vsOrt = new Agreement();
        int truncated = 0;
        long tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            Encoding encoding = encoder.tokenizer().encode(texts.get(i), encoder.settings().maxSeqLength());
            Embedding ours = batched.get(i);
            assertEquals(encoding.length(), ours.tokenCount(), "token count of text " + i);
            assertEquals(encoding.truncated(), ours.truncated(), "truncated flag of text " + i);
            truncated += ours.truncated() ? 1 : 0;
            tokens += ours.tokenCount();
            vsOrt.add("text " + i + " (" + ours.tokenCount() + " tokens)", ours.vector(), ort.embedding(encoding.ids()));
        }
        System.out.printf("parity: %d shared texts, %d tokens, %d truncated at %d%n", texts.size(), tokens,
                truncated, encoder.settings().maxSeqLength());
        assertTrue(truncated > 0, "the set must include truncated texts");
        vsOrt.check(texts.size() + " shared texts, batches of 32, vs ORT");

        Agreement single = new Agreement();
        int step = texts.size() / ONE_BY_ONE;
        for (int i = 0; i < texts.size(); i += step) {
            float[] alone = encoder.encode(texts.get(i));
            single.add("text " + i, alone, batched.get(i).vector());
        }
        single.check("one by one vs batched");
        assertTrue(single.maxDiff <= 1e-5, "one by one vs batched differ by " + single.maxDiff);
    }

    @Test
    void lastHiddenStateMatchesOrtTokenByToken() throws Exception {
        List<String> texts = List.of("How to play musical instruments?", "",
                "Transformers read the whole sentence at once; BERT's attention is bidirectional.",
                "x ".repeat(400));
        Agreement agreement = new Agreement();
        for (String text : texts) {
            Encoding encoding = encoder.tokenizer().encode(text, encoder.settings().maxSeqLength());
            float[] ours = encoder.lastHiddenState(text);
            float[][] reference = ort.lastHiddenState(encoding.ids());
            int dim = encoder.dimension();
            assertEquals(reference.length * dim, ours.length, "tokens of '" + text + "'");
            for (int t = 0; t < reference.length; t++) {
                agreement.add("'" + abbreviate(text) + "' token " + t,
                        java.util.Arrays.copyOfRange(ours, t * dim, (t + 1) * dim), reference[t]);
            }
        }
        // last_hidden_state is not normalised (|x| up to ~10): the same 1e-4 bound, on raw features, is stricter
        agreement.check("last_hidden_state token by token vs ORT");
    }

    @Test
    void emptyAndWhitespaceTextEncodeAsClsSep() throws Exception {
        for (String text : List.of("", "   \t\n ")) {
            Embedding e = encoder.encodeDetailed(text);
            assertEquals(2, e.tokenCount(), "tokens of '" + text + "'");
            assertFalse(e.truncated());
            Agreement agreement = new Agreement();
            agreement.add("'" + text + "'", e.vector(), ort.embedding(new int[]{101, 102}));
            agreement.check("[CLS] [SEP] for '" + text.replace("\n", "\\n").replace("\t", "\\t") + "'");
        }
    }

    /**
     * Every query of every shared collection (queries-all.jsonl where present), the first
     * {@link #LONG_DOCS_PER_COLLECTION} documents of each (the long ones get truncated), then short documents
     * (under 200 characters) round-robin until {@link #TEXTS} texts, plus an empty and a whitespace-only text. The
     * mix keeps the test's cost near 40k tokens per pass.
     */
    static List<String> sharedTexts(Path data) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        List<List<String>> shortDocs = new ArrayList<>();
        try (var collections = Files.list(data)) {
            for (Path collection : collections.sorted().toList()) {
                Path queries = collection.resolve("queries-all.jsonl");
                if (!Files.exists(queries)) {
                    queries = collection.resolve("queries.jsonl");
                }
                if (Files.exists(queries)) {
                    for (String line : Files.readAllLines(queries)) {
                        if (!line.isBlank()) {
                            texts.add(json.readTree(line).path("text").asText());
                        }
                    }
                }
                Path corpus = collection.resolve("corpus.jsonl.gz");
                if (!Files.exists(corpus)) {
                    continue;
                }
                List<String> shortOnes = new ArrayList<>();
                shortDocs.add(shortOnes);
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                        new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
                    String line;
                    int docs = 0;
                    while ((line = reader.readLine()) != null && shortOnes.size() < TEXTS) {
                        JsonNode doc = json.readTree(line);
                        String text = (doc.path("title").asText() + " " + doc.path("text").asText()).strip();
                        if (docs++ < LONG_DOCS_PER_COLLECTION) {
                            texts.add(text);
                        } else if (text.length() < 200) {
                            shortOnes.add(text);
                        }
                    }
                }
            }
        }
        for (int i = 0; texts.size() < TEXTS; i++) {
            boolean added = false;
            for (List<String> docs : shortDocs) {
                if (i < docs.size() && texts.size() < TEXTS) {
                    texts.add(docs.get(i));
                    added = true;
                }
            }
            if (!added) {
                break;
            }
        }
        texts.add("");
        texts.add(" \t ");
        return texts;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static String abbreviate(String text) {
        return text.length() <= 20 ? text : text.substring(0, 20) + "…";
    }
}
