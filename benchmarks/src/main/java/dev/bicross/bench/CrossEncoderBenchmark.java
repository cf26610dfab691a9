package dev.bicross.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.bicross.convert.OnnxClassificationHead;
import dev.bicross.convert.OnnxConverter;
import dev.bicross.convert.TestCrossEncoders;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import dev.bicross.tokenizer.Encoding;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Re-ranking 100 candidates: a query of 10 tokens with 100 passages of about 120 tokens, bicross vs ONNX Runtime
 * FP32 (2 intra-op threads) in one run. Both run a MiniLM-L6 cross-encoder of ms-marco-MiniLM-L6-v2's shape: the
 * all-MiniLM-L6-v2 encoder with a seeded random classification head (ONNX Runtime: the same head appended to
 * the ONNX graph), so the work is identical; the scores themselves are meaningless. One op = one candidate, so
 * the score is documents/s.
 *
 * <ul>
 *   <li>{@code bicrossRerankText}: {@link CrossEncoder#predict} on the 100 (query, passage) texts: tokenization,
 *       length sort, packed batches of 32.</li>
 *   <li>{@code bicrossRerankIds}: the same pairs from token ids, one packed batch of 100 (no tokenization).</li>
 *   <li>{@code ortRerankIds}: ONNX Runtime on the same ids, one batch of 100 (pairs have equal length, so there is
 *       no padding to waste).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx3g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class CrossEncoderBenchmark {

    static final int CANDIDATES = 100;
    static final int PASSAGE_WORDS = 118;

    private static final String[] WORDS = ("the of and to in is was for on that with as by at from his her an "
            + "which are this be or have had not were but they all one their has been more there when who will "
            + "time new first after also two may would about over into only other most some many its out these "
            + "city world music water school house game war state film life light power river people "
            + "history science play guitar cat dog food table story long small great high old early").split(" ");

    private Path work;
    private CrossEncoder crossEncoder;
    private OrtEnvironment env;
    private OrtSession session;
    private List<TextPair> pairs;
    private PackedBatch packed;
    private long[][] ortIds;
    private long[][] ortTypes;
    private long[][] ortMask;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        work = Files.createTempDirectory("bicross-rerank-bench");
        Path onnx = work.resolve("all-minilm-l6-v2.onnx");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (InputStream in = CrossEncoderBenchmark.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " not on the class path");
                }
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path bi = OnnxConverter.convert(onnx, work.resolve("bi")).folder();
        TestCrossEncoders.Head head = TestCrossEncoders.Head.random(1, 42);
        crossEncoder = CrossEncoder.load(TestCrossEncoders.write(bi, head, work.resolve("cross")));

        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        byte[] model = OnnxClassificationHead.append(Files.readAllBytes(onnx), TestCrossEncoders.HIDDEN, 1,
                head.poolerWeight(), head.poolerBias(), head.classifierWeight(), head.classifierBias());
        session = env.createSession(model, options);

        Random random = new Random(7);
        String query = "how do i play the guitar at night";
        pairs = new ArrayList<>();
        List<Encoding> encodings = new ArrayList<>();
        for (int p = 0; p < CANDIDATES; p++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < PASSAGE_WORDS; w++) {
                text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            pairs.add(new TextPair(query, text.toString()));
            encodings.add(crossEncoder.tokenizer().encodePair(query, text.toString(), 512));
        }
        packed = PackedBatch.of(encodings);
        int length = encodings.getFirst().length();
        ortIds = new long[CANDIDATES][length];
        ortTypes = new long[CANDIDATES][length];
        ortMask = new long[CANDIDATES][length];
        for (int p = 0; p < CANDIDATES; p++) {
            Encoding e = encodings.get(p);
            if (e.length() != length) {
                throw new IllegalStateException("pairs should have equal length: " + e.length() + " vs " + length);
            }
            for (int t = 0; t < length; t++) {
                ortIds[p][t] = e.ids()[t];
                ortTypes[p][t] = e.typeIds()[t];
            }
            Arrays.fill(ortMask[p], 1);
        }
        System.out.printf("%nre-rank benchmark: %d candidates of %d tokens (query + passage), bicross kernels %s, "
                + "ONNX Runtime %s (2 intra-op threads)%n", CANDIDATES, length,
                crossEncoder.model().kernels().name(), env.getVersion());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        session.close();
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(CANDIDATES)
    public float[] bicrossRerankText() {
        return crossEncoder.predict(pairs);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(CANDIDATES)
    public float[][] bicrossRerankIds() {
        return crossEncoder.model().classify(packed);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(CANDIDATES)
    public float[][] ortRerankIds() throws OrtException {
        try (OnnxTensor a = OnnxTensor.createTensor(env, ortIds);
             OnnxTensor b = OnnxTensor.createTensor(env, ortMask);
             OnnxTensor c = OnnxTensor.createTensor(env, ortTypes);
             OrtSession.Result result = session.run(
                     Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c), java.util.Set.of("logits"))) {
            return (float[][]) result.get("logits").orElseThrow().getValue();
        }
    }
}
