package dev.bicross.engine.embed;

import dev.bicross.engine.TinyBert;
import dev.bicross.engine.kernel.Kernels;
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
}
