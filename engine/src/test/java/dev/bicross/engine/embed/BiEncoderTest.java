package dev.bicross.engine.embed;

import dev.bicross.engine.TinyBert;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.kernel.ScalarKernels;
import dev.bicross.engine.kernel.VectorKernels;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import dev.bicross.tokenizer.Encoding;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny random BERT with a 50-word vocabulary, as a sentence-transformers folder. */
class BiEncoderTest {

    private static final List<String> WORDS = List.of("the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far",
            "away", "music", "play", "guitar", "how", "to", "is", "was", "and", "of", "in", "red", "blue", "green",
            "big", "small", "house", "tree", "sun", "moon", "star", "sea", "sky", "rain", "snow", "wind", "fire",
            "stone", "river", "hill", "road", "book", "song", "time", "day", "night");

    @TempDir
    Path tmp;

    private TinyBert bert;
    private Path dir;

    @BeforeEach
    void writeModel() throws IOException {
        bert = TinyBert.small(21);
        dir = bert.write(tmp.resolve("org--tiny-bert"), "", SafetensorsWriter.Dtype.F32);
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        vocab.addAll(WORDS);
        assertEquals(bert.vocab, vocab.size());
        Files.write(dir.resolve("vocab.txt"), vocab);
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
                """);
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 10}");
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_mean_tokens\": true}");
    }

    /** The reference pipeline in double: forward, pooling, normalisation. */
    private double[] reference(BiEncoder encoder, String text, Pooling pooling, boolean normalize) {
        Encoding e = encoder.tokenizer().encode(text, encoder.settings().maxSeqLength());
        double[][] hidden = bert.referenceForward(new int[][]{e.ids()}, new int[][]{e.typeIds()})[0];
        double[] v = new double[bert.hidden];
        for (int j = 0; j < bert.hidden; j++) {
            double acc = pooling == Pooling.MAX ? Double.NEGATIVE_INFINITY : 0;
            for (double[] token : hidden) {
                acc = pooling == Pooling.MAX ? Math.max(acc, token[j]) : acc + token[j];
            }
            v[j] = switch (pooling) {
                case MEAN -> acc / hidden.length;
                case MAX -> acc;
                case CLS -> hidden[0][j];
            };
        }
        if (normalize) {
            double norm = Math.sqrt(java.util.Arrays.stream(v).map(x -> x * x).sum());
            for (int j = 0; j < v.length; j++) {
                v[j] /= norm;
            }
        }
        return v;
    }

    private static double maxDiff(float[] ours, double[] reference) {
        double max = 0;
        for (int i = 0; i < ours.length; i++) {
            max = Math.max(max, Math.abs(ours[i] - reference[i]));
        }
        return max;
    }

    @Test
    void readsSentenceTransformersFolderAndMatchesReferencePipeline() throws IOException {
        BiEncoder encoder = BiEncoder.load(dir);
        assertEquals(new EncoderSettings(Pooling.MEAN, true, 10), encoder.settings());
        assertEquals(16, encoder.dimension());
        assertEquals("org/tiny-bert", encoder.modelName());
        for (String text : List.of("the cat sat on the mat", "music", "how to play guitar")) {
            double diff = maxDiff(encoder.encode(text), reference(encoder, text, Pooling.MEAN, true));
            assertTrue(diff < 1e-5, text + ": max |diff| " + diff);
        }
    }

    @Test
    void clsAndMaxPoolingWithoutNormalisation() throws IOException {
        for (Pooling pooling : List.of(Pooling.CLS, Pooling.MAX, Pooling.MEAN)) {
            BiEncoder encoder = BiEncoder.load(dir, Kernels.create(), new EncoderSettings(pooling, false, 10));
            String text = "a big red house and a small blue tree";
            double diff = maxDiff(encoder.encode(text), reference(encoder, text, pooling, false));
            assertTrue(diff < 2e-5, pooling + ": max |diff| " + diff);
        }
    }

    @Test
    void batchesOfMixedLengthsReturnInputOrder() throws IOException {
        BiEncoder encoder = BiEncoder.load(dir);
        List<String> texts = List.of("the sun and the moon and the stars in the sky at night", "rain", "",
                "a dog ran far away", "river", "book song time day night sea sky", "  ");
        List<float[]> batched = encoder.encode(texts, 3);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(encoder.encode(texts.get(i)), batched.get(i), 1e-6f, "text " + i);
        }
    }

    @Test
    void emptyAndWhitespaceTextsAreClsSep() throws IOException {
        BiEncoder encoder = BiEncoder.load(dir);
        Embedding empty = encoder.encodeDetailed("");
        Embedding blank = encoder.encodeDetailed(" \t\n ");
        assertEquals(2, empty.tokenCount());
        assertEquals(2, blank.tokenCount());
        assertArrayEquals(empty.vector(), blank.vector());
        assertTrue(maxDiff(empty.vector(), reference(encoder, "", Pooling.MEAN, true)) < 1e-5);
    }

    @Test
    void truncationIsReported() throws IOException {
        BiEncoder encoder = BiEncoder.load(dir);
        Embedding fits = encoder.encodeDetailed("the cat sat on the mat");
        assertEquals(8, fits.tokenCount());
        assertFalse(fits.truncated());
        Embedding cut = encoder.encodeDetailed("the cat sat on the mat and the dog ran far away");
        assertEquals(10, cut.tokenCount());
        assertTrue(cut.truncated());
        // truncation keeps the first 8 words: the same vector as the text cut by hand
        assertArrayEquals(encoder.encode("the cat sat on the mat and the"), cut.vector(), 1e-6f);
    }

    @Test
    void fingerprintIsTheWeightsFileHashAndDimension() throws Exception {
        BiEncoder encoder = BiEncoder.load(dir);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(dir.resolve("model.safetensors"))));
        ModelFingerprint fingerprint = encoder.fingerprint();
        assertEquals(expected, fingerprint.weightsSha256());
        assertEquals(16, fingerprint.dimension());
        assertEquals("sha256:" + expected + "/16", fingerprint.id());

        Path other = TinyBert.small(22).write(tmp.resolve("other"), "", SafetensorsWriter.Dtype.F32);
        Files.copy(dir.resolve("vocab.txt"), other.resolve("vocab.txt"));
        ModelFingerprint otherFingerprint = BiEncoder.load(other).fingerprint();
        assertNotEquals(fingerprint.weightsSha256(), otherFingerprint.weightsSha256());
        assertFalse(fingerprint.sameModelAs(otherFingerprint));
        assertTrue(fingerprint.sameModelAs(new ModelFingerprint("renamed", expected, 16)));
    }

    @Test
    void concurrentEncodingIsDeterministic() throws Exception {
        BiEncoder encoder = BiEncoder.load(dir);
        List<String> texts = List.of("the cat", "a dog ran far away on the road", "music", "how to play guitar");
        List<float[]> expected = encoder.encode(texts, 2);
        try (var pool = Executors.newFixedThreadPool(4)) {
            List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> encoder.encode(texts, 2)));
            }
            for (Future<List<float[]>> f : futures) {
                List<float[]> got = f.get();
                for (int i = 0; i < texts.size(); i++) {
                    assertArrayEquals(expected.get(i), got.get(i), "text " + i);
                }
            }
        }
    }

    @Test
    void badBatchSizeIsRefused() throws IOException {
        BiEncoder encoder = BiEncoder.load(dir);
        var e = assertThrows(IllegalArgumentException.class, () -> encoder.encode(List.of("x"), 0));
        assertTrue(e.getMessage().contains("batchSize must be at least 1, got 0"), e.getMessage());
    }

    /** Texts of the tiny vocabulary: one to ten tokens, a mix of lengths in every batch. */
    private static List<String> tinyTexts() {
        List<String> texts = new ArrayList<>();
        java.util.Random random = new java.util.Random(5);
        for (int i = 0; i < 40; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0, n = 1 + random.nextInt(9); w < n; w++) {
                text.append(w == 0 ? "" : " ").append(WORDS.get(random.nextInt(WORDS.size())));
            }
            texts.add(text.toString());
        }
        return texts;
    }

    private static double cosine(float[] a, double[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /**
     * INT8 against the independent double-precision reference of the FP32 model: every embedding within cosine
     * 0.99 (the acceptance bound of the int8 path), and not bit-identical to FP32 (the weights were quantized).
     */
    @Test
    void int8EmbeddingsStayWithinCosine099OfTheFp32Reference() throws IOException {
        BiEncoder fp32 = BiEncoder.load(dir);
        BiEncoder int8 = BiEncoder.load(dir, Kernels.create(), Precision.INT8);
        assertEquals(Precision.INT8, int8.model().precision());
        List<String> texts = tinyTexts();
        List<float[]> quantized = int8.encode(texts, 8);
        List<float[]> exact = fp32.encode(texts, 8);
        double min = 1;
        double maxDiffToFp32 = 0;
        for (int i = 0; i < texts.size(); i++) {
            double c = cosine(quantized.get(i), reference(int8, texts.get(i), Pooling.MEAN, true));
            assertTrue(c >= 0.99, "'" + texts.get(i) + "': cosine to the FP32 reference " + c);
            min = Math.min(min, c);
            for (int j = 0; j < 16; j++) {
                maxDiffToFp32 = Math.max(maxDiffToFp32, Math.abs(quantized.get(i)[j] - exact.get(i)[j]));
            }
        }
        System.out.printf("tiny model int8: min cosine to the FP32 reference %.6f, max |int8 − fp32| %.3g%n",
                min, maxDiffToFp32);
        assertTrue(maxDiffToFp32 > 1e-5, "int8 equals fp32 to " + maxDiffToFp32 + ": weights not quantized?");
    }

    /** The int8 forward pass on the scalar twin and on the vector kernels: the same model, the same numbers. */
    @Test
    void int8VectorAndScalarKernelsAgree() throws IOException {
        BiEncoder scalar = BiEncoder.load(dir, new ScalarKernels(), Precision.INT8);
        BiEncoder vector = BiEncoder.load(dir, new VectorKernels(2), Precision.INT8);
        List<String> texts = tinyTexts();
        List<float[]> expected = scalar.encode(texts, 8);
        List<float[]> actual = vector.encode(texts, 8);
        for (int i = 0; i < texts.size(); i++) {
            for (int j = 0; j < 16; j++) {
                assertEquals(expected.get(i)[j], actual.get(i)[j], 2e-5, "text " + i + " feature " + j);
            }
        }
    }

    @Test
    void int8FingerprintDiffersFromFp32() throws IOException {
        ModelFingerprint fp32 = BiEncoder.load(dir).fingerprint();
        ModelFingerprint int8 = BiEncoder.load(dir, Kernels.create(), Precision.INT8).fingerprint();
        assertEquals(fp32.weightsSha256(), int8.weightsSha256());
        assertEquals(fp32.id() + "/int8", int8.id());
        assertFalse(int8.sameModelAs(fp32), "int8 and fp32 vectors must not be mixed in one index");
        assertTrue(int8.sameModelAs(new ModelFingerprint("renamed", fp32.weightsSha256(), 16, Precision.INT8)));
    }
}
