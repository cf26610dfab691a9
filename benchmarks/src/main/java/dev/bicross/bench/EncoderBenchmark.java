package dev.bicross.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.bicross.convert.OnnxConverter;
import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.kernel.VectorKernels;
import dev.bicross.tokenizer.Encoding;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * all-MiniLM-L6-v2: bicross vs ONNX Runtime FP32 (as many intra-op threads as our kernels have) on the same ONNX
 * file and the same token ids, in one run.
 *
 * <ul>
 *   <li>{@code *Passages*}: 256 passages of exactly 128 tokens in batches of 32 (each invocation runs the next
 *       batch); one op = one passage, so tokens/s = ops/s × 128.</li>
 *   <li>{@code *Query}: one 10-token query, batch 1; latency, sampled per call (JMH SampleTime: mean, p50, p90,
 *       p99 …).</li>
 * </ul>
 * {@code threads} sets both our kernel threads (for the {@code *Ids} benchmarks) and ONNX Runtime's intra-op
 * threads: {@code -p threads=1,2} measures the scaling of both.
 * The {@code bicross*Ids} and {@code ort*} benchmarks do the same work (token ids → mean-pooled, normalised
 * vectors); {@code bicrossPassagesText} also tokenizes, which ONNX Runtime does not.
 *
 * <p>Model: {@code -Dbicross.bench.model=DIR} (a converted folder), else the ONNX in the langchain4j jar on the
 * class path is converted into a temp folder at setup.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx3g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class EncoderBenchmark {

    static final int PASSAGES = 256;
    static final int PASSAGE_TOKENS = 128;
    static final int BATCH = 32;
    static final int QUERY_TOKENS = 10;

    /** Common words that are single WordPiece tokens, for synthetic passages of an exact length. */
    private static final String[] WORDS = ("the of and to in is was for on that with as by at from his her an "
            + "which are this be or have had not were but they all one their has been more there when who will "
            + "time new first after also two may would about over into only other most some many its out these "
            + "city world music water school house game war state film life light power river music people "
            + "history science play guitar cat dog food table story long small great high old early").split(" ");

    @Param({"2"})
    public int threads;

    private Path work;
    private BiEncoder encoder;
    private BertModel model;
    private OrtEnvironment env;
    private OrtSession session;

    private List<String> passageTexts;
    private List<PackedBatch> packedPassageBatches;
    private List<long[][]> ortPassageBatches;
    private String queryText;
    private PackedBatch packedQuery;
    private long[][] ortQuery;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        work = Files.createTempDirectory("bicross-bench");
        Path onnx = work.resolve("all-minilm-l6-v2.onnx");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (InputStream in = EncoderBenchmark.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " not on the class path");
                }
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String configured = System.getProperty("bicross.bench.model");
        Path modelDir = configured != null ? Path.of(configured)
                : OnnxConverter.convert(onnx, work.resolve("model")).folder();
        encoder = BiEncoder.load(modelDir);
        model = BertModel.load(modelDir, new VectorKernels(threads));

        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(onnx.toString(), options);

        Random random = new Random(42);
        passageTexts = new ArrayList<>();
        List<Encoding> passages = new ArrayList<>();
        for (int p = 0; p < PASSAGES; p++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < PASSAGE_TOKENS - 2; w++) {
                text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            passageTexts.add(text.toString());
            passages.add(encodeExactly(text.toString(), PASSAGE_TOKENS));
        }
        packedPassageBatches = new ArrayList<>();
        ortPassageBatches = new ArrayList<>();
        for (int b = 0; b < PASSAGES; b += BATCH) {
            List<Encoding> batch = passages.subList(b, b + BATCH);
            packedPassageBatches.add(PackedBatch.of(batch));
            ortPassageBatches.add(ids(batch));
        }
        queryText = "how do i play the guitar at night";
        Encoding query = encodeExactly(queryText, QUERY_TOKENS);
        packedQuery = PackedBatch.of(List.of(query));
        ortQuery = ids(List.of(query));
        System.out.printf("%nencoder benchmark: bicross kernels %s/%d threads, ONNX Runtime %s (%d intra-op threads)%n",
                model.kernels().name(), threads, env.getVersion(), threads);
    }

    private Encoding encodeExactly(String text, int tokens) {
        Encoding e = encoder.tokenizer().encode(text, 512);
        if (e.length() != tokens) {
            throw new IllegalStateException("'" + text + "' has " + e.length() + " tokens, expected " + tokens);
        }
        return e;
    }

    private static long[][] ids(List<Encoding> batch) {
        long[][] ids = new long[batch.size()][];
        for (int s = 0; s < batch.size(); s++) {
            int[] source = batch.get(s).ids();
            ids[s] = new long[source.length];
            for (int i = 0; i < source.length; i++) {
                ids[s][i] = source[i];
            }
        }
        return ids;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        session.close();
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    // ---- 256 passages × 128 tokens in batches of 32: one invocation = the next batch of 32 (cycling through the
    //      8 batches), so ops/s = passages/s and tokens/s = ops/s × 128 ----

    private int nextBatch;

    private int nextBatch() {
        int b = nextBatch;
        nextBatch = (b + 1) % packedPassageBatches.size();
        return b;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public float[] bicrossPassagesIds() {
        PackedBatch batch = packedPassageBatches.get(nextBatch());
        float[] hidden = model.forward(batch);
        return meanPoolNormalize(hidden, batch.sequenceCount(), PASSAGE_TOKENS, model.config().hiddenSize());
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public List<float[]> bicrossPassagesText() {
        int b = nextBatch();
        return encoder.encode(passageTexts.subList(b * BATCH, (b + 1) * BATCH), BATCH);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public float[] ortPassagesIds() throws OrtException {
        return ortEmbed(ortPassageBatches.get(nextBatch()));
    }

    // ---- one 10-token query, batch 1 (latency) ----

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] bicrossQueryIds() {
        return meanPoolNormalize(model.forward(packedQuery), 1, QUERY_TOKENS, model.config().hiddenSize());
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] bicrossQueryText() {
        return encoder.encode(queryText);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float[] ortQueryIds() throws OrtException {
        return ortEmbed(ortQuery);
    }

    private float[] ortEmbed(long[][] ids) throws OrtException {
        long[][] mask = new long[ids.length][ids[0].length];
        long[][] types = new long[ids.length][ids[0].length];
        for (long[] row : mask) {
            java.util.Arrays.fill(row, 1);
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            OnnxTensor out = (OnnxTensor) result.get("last_hidden_state").orElseThrow();
            float[] hidden = new float[ids.length * ids[0].length * 384];
            out.getFloatBuffer().get(hidden);
            return meanPoolNormalize(hidden, ids.length, ids[0].length, 384);
        }
    }

    /** Mean pooling and L2 normalisation of equal-length sequences (the same post-processing on both sides). */
    static float[] meanPoolNormalize(float[] hidden, int sequences, int tokens, int dim) {
        float[] out = new float[sequences * dim];
        for (int s = 0; s < sequences; s++) {
            double norm = 0;
            for (int j = 0; j < dim; j++) {
                float sum = 0;
                for (int t = 0; t < tokens; t++) {
                    sum += hidden[(s * tokens + t) * dim + j];
                }
                out[s * dim + j] = sum / tokens;
                norm += out[s * dim + j] * out[s * dim + j];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
            for (int j = 0; j < dim; j++) {
                out[s * dim + j] *= inv;
            }
        }
        return out;
    }

}
