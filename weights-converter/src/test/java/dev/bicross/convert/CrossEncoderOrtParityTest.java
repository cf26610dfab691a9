package dev.bicross.convert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.CrossEncoderSettings;
import dev.bicross.engine.rerank.ScoreActivation;
import dev.bicross.engine.rerank.TextPair;
import dev.bicross.engine.safetensors.SafetensorsFile;
import dev.bicross.engine.safetensors.SafetensorsWriter;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acceptance test of the cross-encoder. No relevance-trained cross-encoder can be fetched here, so the reference
 * is built: the all-MiniLM-L6-v2 ONNX graph with a BertForSequenceClassification head (seeded random weights)
 * appended, run by ONNX Runtime, against the same weights written as a Hugging Face folder with the {@code bert.}
 * prefix and run by bicross.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossEncoderOrtParityTest {

    private static final double MAX_ABS_DIFF = 1e-4;
    private static final int HIDDEN = 384;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private Path work;
    private Path biEncoderFolder;
    private byte[] onnx;

    @BeforeAll
    void convert() throws Exception {
        work = Files.createTempDirectory("bicross-cross-parity");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (InputStream in = getClass().getResourceAsStream("/" + resource)) {
                assertTrue(in != null, resource + " is not on the test class path");
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        onnx = Files.readAllBytes(work.resolve("all-minilm-l6-v2.onnx"));
        biEncoderFolder = OnnxConverter.convert(work.resolve("all-minilm-l6-v2.onnx"), work.resolve("bi")).folder();
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (work != null) {
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Seeded random head weights in Hugging Face orientation ([out, in]). */
    private record Head(int labels, float[] poolerWeight, float[] poolerBias, float[] classifierWeight,
                        float[] classifierBias) {
        static Head random(int labels, long seed) {
            Random r = new Random(seed);
            return new Head(labels, gaussian(r, HIDDEN * HIDDEN, 0.05), gaussian(r, HIDDEN, 0.05),
                    gaussian(r, labels * HIDDEN, 0.1), gaussian(r, labels, 0.1));
        }

        private static float[] gaussian(Random r, int n, double scale) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (r.nextGaussian() * scale);
            }
            return v;
        }
    }

    /** The converted bi-encoder's weights under {@code bert.}, plus the head, as a BertForSequenceClassification folder. */
    private Path crossEncoderFolder(Head head) throws IOException {
        Path folder = work.resolve("cross-" + head.labels() + "-" + System.identityHashCode(head));
        Files.createDirectories(folder);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile bi = SafetensorsFile.open(biEncoderFolder.resolve("model.safetensors"))) {
            for (String name : bi.names()) {
                writer.addF32("bert." + name, bi.info(name).orElseThrow().shape(), bi.readFloats(name));
            }
        }
        writer.addF32("bert.pooler.dense.weight", new long[]{HIDDEN, HIDDEN}, head.poolerWeight());
        writer.addF32("bert.pooler.dense.bias", new long[]{HIDDEN}, head.poolerBias());
        writer.addF32("classifier.weight", new long[]{head.labels(), HIDDEN}, head.classifierWeight());
        writer.addF32("classifier.bias", new long[]{head.labels()}, head.classifierBias());
        writer.write(folder.resolve("model.safetensors"));

        ObjectMapper mapper = new ObjectMapper();
        ObjectNode config = (ObjectNode) mapper.readTree(biEncoderFolder.resolve("config.json").toFile());
        config.putArray("architectures").add("BertForSequenceClassification");
        ObjectNode id2label = config.putObject("id2label");
        ObjectNode label2id = config.putObject("label2id");
        for (int i = 0; i < head.labels(); i++) {
            id2label.put(String.valueOf(i), "LABEL_" + i);
            label2id.put("LABEL_" + i, i);
        }
        config.putObject("sentence_transformers").put("activation_fn", "torch.nn.modules.linear.Identity");
        mapper.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("config.json").toFile(), config);
        Files.copy(biEncoderFolder.resolve("tokenizer.json"), folder.resolve("tokenizer.json"));
        return folder;
    }

    /** ONNX Runtime on the graph with the head appended: logits of one sequence, no padding. */
    private final class OrtClassifier implements AutoCloseable {
        private final OrtSession session;

        OrtClassifier(Head head) throws OrtException {
            byte[] model = OnnxClassificationHead.append(onnx, HIDDEN, head.labels(), head.poolerWeight(),
                    head.poolerBias(), head.classifierWeight(), head.classifierBias());
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(2);
            session = env.createSession(model, options);
        }

        float[] logits(int[] ids, int[] typeIds) throws OrtException {
            long[][] inputIds = new long[1][ids.length];
            long[][] mask = new long[1][ids.length];
            long[][] types = new long[1][ids.length];
            for (int i = 0; i < ids.length; i++) {
                inputIds[0][i] = ids[i];
                mask[0][i] = 1;
                types[0][i] = typeIds[i];
            }
            try (OnnxTensor a = OnnxTensor.createTensor(env, inputIds);
                 OnnxTensor b = OnnxTensor.createTensor(env, mask);
                 OnnxTensor c = OnnxTensor.createTensor(env, types);
                 OrtSession.Result result = session.run(
                         Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c), java.util.Set.of("logits"))) {
                return ((float[][]) result.get("logits").orElseThrow().getValue())[0];
            }
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }

    /** Worst absolute difference over a set of comparisons. */
    private static final class Agreement {
        double maxDiff;
        int count;
        String worst = "";

        void add(String label, float[] ours, double[] reference) {
            count++;
            for (int j = 0; j < ours.length; j++) {
                double d = Math.abs(ours[j] - reference[j]);
                if (d > maxDiff) {
                    maxDiff = d;
                    worst = label;
                }
            }
        }

        void check(String what) {
            System.out.printf("cross parity: %s: %d pairs, max |diff| %.3g (worst: %s)%n", what, count, maxDiff, worst);
            assertTrue(count > 0, what + ": nothing compared");
            assertTrue(maxDiff <= MAX_ABS_DIFF, what + ": max |diff| " + maxDiff + " at " + worst);
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @Test
    void logitsMatchOnnxRuntimeBatchedAndOneByOneWithTruncation() throws Exception {
        Head head = Head.random(1, 42);
        Path folder = crossEncoderFolder(head);
        List<TextPair> pairs = pairs();
        System.out.printf("cross parity: %d (query, document) pairs%n", pairs.size());
        try (OrtClassifier ort = new OrtClassifier(head)) {
            for (int maxLength : new int[]{128, 512}) {
                CrossEncoder ours = CrossEncoder.load(folder, Kernels.create(),
                        new CrossEncoderSettings(ScoreActivation.IDENTITY, maxLength));
                if (maxLength == 512) {
                    // Long pairs are costly for both runtimes: every third pair, plus all that 512 truncates.
                    List<TextPair> all = pairs;
                    pairs = new ArrayList<>();
                    for (int i = 0; i < all.size(); i++) {
                        TextPair p = all.get(i);
                        if (i % 3 == 0 || ours.tokenizer().encodePair(p.query(), p.document(), 512).truncated()) {
                            pairs.add(p);
                        }
                    }
                }
                float[][] batched = ours.predictLabels(pairs, 32);
                Agreement agreeBatched = new Agreement();
                Agreement agreeSingle = new Agreement();
                int truncated = 0;
                for (int i = 0; i < pairs.size(); i++) {
                    Encoding e = ours.tokenizer().encodePair(pairs.get(i).query(), pairs.get(i).document(), maxLength);
                    truncated += e.truncated() ? 1 : 0;
                    double[] reference = toDouble(ort.logits(e.ids(), e.typeIds()));
                    agreeBatched.add("pair " + i, batched[i], reference);
                    if (i % 8 == 0) {
                        agreeSingle.add("pair " + i, ours.predictLabels(List.of(pairs.get(i)), 1)[0], reference);
                    }
                }
                System.out.printf("cross parity: max_length %d: %d pairs, %d truncated by longest_first%n",
                        maxLength, pairs.size(), truncated);
                agreeBatched.check("max_length " + maxLength + ", batches of 32");
                agreeSingle.check("max_length " + maxLength + ", one by one");
                if (pairs.size() >= 100) {
                    assertTrue(truncated > 0, "the shared pairs should include truncated ones at " + maxLength);
                }
            }
        }
    }

    @Test
    void softmaxOverThreeLabelsMatchesOnnxRuntime() throws Exception {
        Head head = Head.random(3, 7);
        CrossEncoder ours = CrossEncoder.load(crossEncoderFolder(head), Kernels.create(),
                new CrossEncoderSettings(ScoreActivation.SOFTMAX, 128));
        List<TextPair> all = pairs();
        List<TextPair> pairs = all.subList(0, Math.min(60, all.size()));
        float[][] probabilities = ours.predictLabels(pairs, 16);
        Agreement agreement = new Agreement();
        try (OrtClassifier ort = new OrtClassifier(head)) {
            for (int i = 0; i < pairs.size(); i++) {
                Encoding e = ours.tokenizer().encodePair(pairs.get(i).query(), pairs.get(i).document(), 128);
                double[] logits = toDouble(ort.logits(e.ids(), e.typeIds()));
                double max = Math.max(logits[0], Math.max(logits[1], logits[2]));
                double sum = 0;
                double[] softmax = new double[3];
                for (int j = 0; j < 3; j++) {
                    softmax[j] = Math.exp(logits[j] - max);
                    sum += softmax[j];
                }
                for (int j = 0; j < 3; j++) {
                    softmax[j] /= sum;
                }
                agreement.add("pair " + i, probabilities[i], softmax);
            }
        }
        agreement.check("3 labels, softmax");
    }

    @Test
    void segmentIdsMatterIdenticallyInBothImplementations() throws Exception {
        Head head = Head.random(1, 99);
        CrossEncoder ours = CrossEncoder.load(crossEncoderFolder(head), Kernels.create(),
                new CrossEncoderSettings(ScoreActivation.IDENTITY, 128));
        List<TextPair> pairs = pairs().subList(0, 8);
        Agreement agreement = new Agreement();
        double smallestChange = Double.MAX_VALUE;
        try (OrtClassifier ort = new OrtClassifier(head)) {
            for (int i = 0; i < pairs.size(); i++) {
                Encoding e = ours.tokenizer().encodePair(pairs.get(i).query(), pairs.get(i).document(), 128);
                int[] swapped = new int[e.typeIds().length];
                for (int t = 0; t < swapped.length; t++) {
                    swapped[t] = 1 - e.typeIds()[t];
                }
                float original = ort.logits(e.ids(), e.typeIds())[0];
                float[] ortSwapped = ort.logits(e.ids(), swapped);
                float[] oursSwapped = ours.model().classify(
                        new PackedBatch(e.ids(), swapped, new int[]{0, e.ids().length}))[0];
                agreement.add("pair " + i + " swapped", oursSwapped, toDouble(ortSwapped));
                smallestChange = Math.min(smallestChange, Math.abs(ortSwapped[0] - original));
            }
        }
        agreement.check("segment ids swapped");
        System.out.printf("cross parity: swapping segment ids moves the logit by at least %.4f%n", smallestChange);
        // 1e-4 is a hundred times the disagreement between the two runtimes: the change is real, not noise.
        assertTrue(smallestChange > 1e-4, "swapping segment ids should change the score, smallest change "
                + smallestChange);
    }

    /**
     * (query, document) pairs: from every shared collection, each judged query with one relevant and one other
     * document (long documents get truncated); a built-in set when ../shared is absent.
     */
    private static List<TextPair> pairs() throws IOException {
        String sharedProperty = System.getProperty("bicross.shared");
        Path data = sharedProperty == null ? null : Path.of(sharedProperty, "data");
        if (data == null || !Files.isDirectory(data)) {
            System.out.println("cross parity: ../shared/data absent, using the built-in pairs only");
            return builtInPairs();
        }
        List<TextPair> pairs = new ArrayList<>(builtInPairs());
        ObjectMapper mapper = new ObjectMapper();
        for (String name : List.of("cisi", "medline", "cranfield", "cacm", "adi", "vaswani-npl")) {
            Path dir = data.resolve(name);
            List<String> docIds = new ArrayList<>();
            List<String> docTexts = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(dir.resolve("corpus.jsonl.gz"))), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    JsonNode d = mapper.readTree(line);
                    docIds.add(d.get("_id").asText());
                    docTexts.add((d.path("title").asText("") + " " + d.path("text").asText("")).strip());
                }
            }
            Map<String, String> firstRelevant = new java.util.HashMap<>();
            List<String> qrels = Files.readAllLines(dir.resolve("qrels.tsv"));
            for (String line : qrels.subList(1, qrels.size())) {
                String[] f = line.split("\t");
                if (f.length == 3 && Integer.parseInt(f[2].strip()) > 0) {
                    firstRelevant.putIfAbsent(f[0], f[1]);
                }
            }
            int taken = 0;
            for (String line : Files.readAllLines(dir.resolve("queries.jsonl"))) {
                if (line.isBlank() || taken >= 28) {
                    continue;
                }
                JsonNode q = mapper.readTree(line);
                String relevant = firstRelevant.get(q.get("_id").asText());
                if (relevant == null || !docIds.contains(relevant)) {
                    continue;
                }
                String query = q.get("text").asText();
                pairs.add(new TextPair(query, docTexts.get(docIds.indexOf(relevant))));
                pairs.add(new TextPair(query, docTexts.get((taken * 37 + 11) % docTexts.size())));
                taken++;
            }
        }
        return pairs;
    }

    private static List<TextPair> builtInPairs() {
        String guitar = "A man is playing guitar";
        String query = "How to play musical instruments?";
        return List.of(new TextPair(query, guitar), new TextPair(query, "The cat sits outside"),
                new TextPair(query, "I love pasta"), new TextPair("", guitar), new TextPair(query, ""),
                new TextPair("Où est la bibliothèque ?", "Die Bibliothek ist geschlossen, 東京 图书馆"),
                new TextPair(query, (guitar + ", ").repeat(200)),
                new TextPair(("a long query about strings and frets " + "").repeat(40), guitar));
    }
}
