package dev.bicross.engine.rerank;

import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.TinyBert;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import dev.bicross.tokenizer.Encoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CrossEncoder on a tiny random BertForSequenceClassification, against TinyBert's double-precision reference. */
class CrossEncoderTest {

    @TempDir
    Path dir;

    /** A folder with a 50-token vocabulary ([PAD] [UNK] [CLS] [SEP] [MASK] w0..w44) and the tiny model. */
    private Path model(TinyBert bert, String extraConfig) throws IOException {
        Path folder = bert.write(dir.resolve("m" + bert.labels + extraConfig.hashCode()), "bert.",
                SafetensorsWriter.Dtype.F32);
        String words = IntStream.range(0, bert.vocab - 5).mapToObj(i -> "w" + i).collect(Collectors.joining("\n"));
        Files.writeString(folder.resolve("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" + words + "\n");
        if (!extraConfig.isEmpty()) {
            String config = Files.readString(folder.resolve("config.json")).strip();
            Files.writeString(folder.resolve("config.json"),
                    config.substring(0, config.length() - 1) + ", " + extraConfig + "}");
        }
        return folder;
    }

    private static List<TextPair> pairs() {
        List<TextPair> pairs = new ArrayList<>();
        for (int n = 0; n < 9; n++) {
            int i = n;
            String query = "w" + i + " w" + (i * 3 % 45);
            String document = IntStream.range(0, 1 + i * 2).mapToObj(j -> "w" + ((i + j * 7) % 45))
                    .collect(Collectors.joining(" "));
            pairs.add(new TextPair(query, document));
        }
        return pairs;
    }

    private static double[][] reference(TinyBert bert, CrossEncoder encoder, List<TextPair> pairs) {
        int[][] ids = new int[pairs.size()][];
        int[][] types = new int[pairs.size()][];
        for (int i = 0; i < pairs.size(); i++) {
            Encoding e = encoder.tokenizer().encodePair(pairs.get(i).query(), pairs.get(i).document(),
                    encoder.settings().maxLength());
            ids[i] = e.ids();
            types[i] = e.typeIds();
        }
        return bert.referenceLogits(ids, types);
    }

    @Test
    void singleLabelScoresMatchTheReferenceWithSigmoidByDefault() throws IOException {
        TinyBert bert = new TinyBert(11, 16, 4, 40, 2, 50, 24, 2, 1);
        CrossEncoder encoder = CrossEncoder.load(model(bert, ""), Kernels.create());
        assertEquals(ScoreActivation.SIGMOID, encoder.settings().activation(), "no declared activation, one label");
        assertEquals(24, encoder.settings().maxLength(), "512 capped by max_position_embeddings");
        List<TextPair> pairs = pairs();
        double[][] logits = reference(bert, encoder, pairs);
        for (int batch : new int[]{1, 4, 32}) {
            float[] scores = encoder.predict(pairs, batch);
            for (int i = 0; i < pairs.size(); i++) {
                double expected = 1 / (1 + Math.exp(-logits[i][0]));
                assertEquals(expected, scores[i], 1e-5, "pair " + i + " batch " + batch);
            }
        }
    }

    @Test
    void declaredIdentityGivesRawLogitsAndRankSortsByThem() throws IOException {
        TinyBert bert = new TinyBert(12, 16, 4, 40, 2, 50, 24, 2, 1);
        CrossEncoder encoder = CrossEncoder.load(
                model(bert, "\"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.linear.Identity\"}"),
                Kernels.create());
        assertEquals(ScoreActivation.IDENTITY, encoder.settings().activation());
        List<TextPair> pairs = pairs();
        double[][] logits = reference(bert, encoder, pairs);
        List<String> documents = pairs.stream().map(p -> p.document()).toList();
        // all pairs share the first query for rank()
        List<TextPair> sameQuery = documents.stream().map(d -> new TextPair(pairs.getFirst().query(), d)).toList();
        double[][] sameQueryLogits = reference(bert, encoder, sameQuery);
        List<RankedDocument> ranked = encoder.rank(pairs.getFirst().query(), documents, 4);
        assertEquals(4, ranked.size());
        for (int r = 0; r < ranked.size(); r++) {
            RankedDocument d = ranked.get(r);
            assertEquals(sameQueryLogits[d.index()][0], d.score(), 1e-5);
            assertEquals(documents.get(d.index()), d.text());
            if (r > 0) {
                assertTrue(ranked.get(r - 1).score() >= d.score(), "sorted best first");
            }
        }
        // the best of all, found by brute force over the reference
        int best = 0;
        for (int i = 1; i < documents.size(); i++) {
            if (sameQueryLogits[i][0] > sameQueryLogits[best][0]) {
                best = i;
            }
        }
        assertEquals(best, ranked.getFirst().index());
        float[] raw = encoder.predict(pairs);
        for (int i = 0; i < pairs.size(); i++) {
            assertEquals(logits[i][0], raw[i], 1e-5);
        }
    }

    /**
     * INT8 encoder linears, FP32 head: raw logits stay close to the double-precision reference of the FP32 model
     * (within 3% of the logits' spread over the pairs, so the order of clearly different candidates holds), and are
     * not the FP32 logits (the weights were quantized).
     */
    @Test
    void int8LogitsStayCloseToTheFp32Reference() throws IOException {
        TinyBert bert = new TinyBert(12, 16, 4, 40, 2, 50, 24, 2, 1);
        Path folder = model(bert, "\"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.linear.Identity\"}");
        CrossEncoder int8 = CrossEncoder.load(folder, dev.bicross.engine.kernel.Precision.INT8);
        assertEquals(dev.bicross.engine.kernel.Precision.INT8, int8.model().precision());
        List<TextPair> pairs = pairs();
        double[][] logits = reference(bert, int8, pairs);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double[] l : logits) {
            min = Math.min(min, l[0]);
            max = Math.max(max, l[0]);
        }
        float[] raw = int8.predict(pairs);
        double worst = 0;
        for (int i = 0; i < pairs.size(); i++) {
            worst = Math.max(worst, Math.abs(raw[i] - logits[i][0]));
        }
        System.out.printf("tiny cross-encoder int8: max |logit − fp32 reference| %.4f, logit spread %.4f%n", worst,
                max - min);
        assertTrue(worst <= 0.03 * (max - min), "int8 logits off by " + worst + ", spread " + (max - min));
        assertTrue(worst > 1e-5, "int8 logits equal the fp32 reference: weights not quantized?");
    }

    @Test
    void threeLabelsWithSoftmaxSumToOne() throws IOException {
        TinyBert bert = new TinyBert(13, 16, 4, 40, 2, 50, 24, 2, 3);
        CrossEncoder encoder = CrossEncoder.load(
                model(bert, "\"sbert_ce_default_activation_function\": \"torch.nn.modules.activation.Softmax\""),
                Kernels.create());
        assertEquals(ScoreActivation.SOFTMAX, encoder.settings().activation());
        List<TextPair> pairs = pairs();
        double[][] logits = reference(bert, encoder, pairs);
        float[][] probabilities = encoder.predictLabels(pairs, 3);
        for (int i = 0; i < pairs.size(); i++) {
            double max = Math.max(logits[i][0], Math.max(logits[i][1], logits[i][2]));
            double sum = 0;
            for (double l : logits[i]) {
                sum += Math.exp(l - max);
            }
            for (int j = 0; j < 3; j++) {
                assertEquals(Math.exp(logits[i][j] - max) / sum, probabilities[i][j], 1e-5, "pair " + i + " label " + j);
            }
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> encoder.predict(pairs));
        assertTrue(e.getMessage().contains("3 labels"), e.getMessage());
    }

    @Test
    void refusesModelsWithoutAHeadAndUnknownActivations() throws IOException {
        TinyBert plain = TinyBert.small(14);
        Path folder = model(plain, "");
        ModelFormatException noHead = assertThrows(ModelFormatException.class, () -> CrossEncoder.load(folder));
        assertTrue(noHead.getMessage().contains("BertForSequenceClassification"), noHead.getMessage());

        TinyBert bert = new TinyBert(15, 16, 4, 40, 2, 50, 24, 2, 1);
        Path odd = model(bert, "\"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.activation.ReLU\"}");
        ModelFormatException unknown = assertThrows(ModelFormatException.class, () -> CrossEncoder.load(odd));
        assertTrue(unknown.getMessage().contains("ReLU"), unknown.getMessage());
    }
}
