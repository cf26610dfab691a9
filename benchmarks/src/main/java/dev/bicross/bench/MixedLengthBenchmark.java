package dev.bicross.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.convert.OnnxConverter;
import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.kernel.VectorKernels;
import dev.bicross.tokenizer.BertTokenizer;
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
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Real mixed-length text: {@value #DOCUMENTS} documents of a shared collection (every {@code n}-th one of the corpus
 * so the sample spans it; title + text, truncated to all-MiniLM-L6-v2's max_seq_length 256), sorted by token count
 * and cut into batches of {@value #BATCH}, identical for both sides. bicross packs each batch without padding;
 * ONNX Runtime gets each batch padded to its longest text with attention mask 0 on the padding, as a Python
 * pipeline would feed it. Both end in mean-pooled (over the real tokens), normalised vectors.
 * One op = one document; tokens/s = docs/s × the mean document length printed at setup (real tokens, padding
 * not counted).
 *
 * <p>{@code threads} sets both our kernel threads and ONNX Runtime's intra-op threads ({@code -p threads=1,2} gives
 * the scaling of both). Collection: {@code -p collection=cisi|vaswani-npl}, read from
 * {@code -Dbicross.shared} (default {@code ../shared}).
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx3g"})
@Warmup(iterations = 2, time = 6)
@Measurement(iterations = 3, time = 6)
public class MixedLengthBenchmark {

    static final int DOCUMENTS = 192;
    static final int BATCH = 32;
    static final int MAX_SEQ_LENGTH = 256;

    @Param({"cisi"})
    public String collection;

    @Param({"2"})
    public int threads;

    private Path work;
    private BertModel model;
    private OrtEnvironment env;
    private OrtSession session;
    private List<PackedBatch> packedBatches;
    private List<long[][]> ortIds;
    private List<long[][]> ortMasks;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        work = Files.createTempDirectory("bicross-mixed-bench");
        Path onnx = work.resolve("all-minilm-l6-v2.onnx");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (InputStream in = MixedLengthBenchmark.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " not on the class path");
                }
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path modelDir = OnnxConverter.convert(onnx, work.resolve("model")).folder();
        model = BertModel.load(modelDir, new VectorKernels(threads));
        BertTokenizer tokenizer = BertTokenizer.load(modelDir);

        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(onnx.toString(), options);

        List<Encoding> encodings = new ArrayList<>();
        for (String text : sample(collection, DOCUMENTS)) {
            encodings.add(tokenizer.encode(text, MAX_SEQ_LENGTH));
        }
        encodings.sort(Comparator.comparingInt(Encoding::length));
        packedBatches = new ArrayList<>();
        ortIds = new ArrayList<>();
        ortMasks = new ArrayList<>();
        long tokens = 0;
        long padded = 0;
        for (int b = 0; b < encodings.size(); b += BATCH) {
            List<Encoding> batch = encodings.subList(b, Math.min(encodings.size(), b + BATCH));
            packedBatches.add(PackedBatch.of(batch));
            int longest = batch.getLast().length();
            long[][] ids = new long[batch.size()][longest];
            long[][] mask = new long[batch.size()][longest];
            for (int s = 0; s < batch.size(); s++) {
                int[] source = batch.get(s).ids();
                for (int t = 0; t < source.length; t++) {
                    ids[s][t] = source[t];
                    mask[s][t] = 1;
                }
                tokens += source.length;
            }
            padded += (long) longest * batch.size();
            ortIds.add(ids);
            ortMasks.add(mask);
        }
        System.out.printf("%nmixed-length benchmark: %s, %d documents, %d tokens (mean %.1f, shortest %d, longest %d),"
                        + " %d tokens after padding each batch to its longest; bicross %s/%d threads, ONNX Runtime %s/%d"
                        + " intra-op threads%n", collection, encodings.size(), tokens,
                (double) tokens / encodings.size(), encodings.getFirst().length(), encodings.getLast().length(),
                padded, model.kernels().name(), threads, env.getVersion(), threads);
    }

    /** Every n-th document of the corpus (title + text), n chosen so that {@code count} documents come out. */
    static List<String> sample(String collection, int count) throws IOException {
        Path corpus = Path.of(System.getProperty("bicross.shared", "../shared"), "data", collection,
                "corpus.jsonl.gz");
        if (!Files.isRegularFile(corpus)) {
            throw new IllegalStateException(corpus + " not found: set -Dbicross.shared to the shared folder");
        }
        List<String> all = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode doc = mapper.readTree(line);
                String title = doc.path("title").asText("");
                String text = doc.path("text").asText("");
                all.add(title.isEmpty() ? text : title + " " + text);
            }
        }
        if (all.size() < count) {
            throw new IllegalStateException(corpus + ": " + all.size() + " documents, the benchmark needs " + count);
        }
        int step = all.size() / count;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(all.get(i * step));
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        session.close();
        try (var files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(DOCUMENTS)
    public float[] bicrossMixed() {
        float[] last = null;
        for (PackedBatch batch : packedBatches) {
            last = meanPoolNormalize(model.forward(batch), batch.seqOffsets(), 384);
        }
        return last;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(DOCUMENTS)
    public float[] ortMixedPadded() throws OrtException {
        float[] last = null;
        for (int b = 0; b < ortIds.size(); b++) {
            last = ortEmbed(ortIds.get(b), ortMasks.get(b));
        }
        return last;
    }

    private float[] ortEmbed(long[][] ids, long[][] mask) throws OrtException {
        long[][] types = new long[ids.length][ids[0].length];
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            OnnxTensor out = (OnnxTensor) result.get("last_hidden_state").orElseThrow();
            int longest = ids[0].length;
            float[] hidden = new float[ids.length * longest * 384];
            out.getFloatBuffer().get(hidden);
            // the same packed layout as bicross (padding rows dropped), then the same pooling
            int[] offsets = new int[ids.length + 1];
            for (int s = 0; s < ids.length; s++) {
                int n = 0;
                while (n < longest && mask[s][n] != 0) {
                    n++;
                }
                offsets[s + 1] = offsets[s] + n;
            }
            float[] packed = new float[offsets[ids.length] * 384];
            for (int s = 0; s < ids.length; s++) {
                System.arraycopy(hidden, s * longest * 384, packed, offsets[s] * 384,
                        (offsets[s + 1] - offsets[s]) * 384);
            }
            return meanPoolNormalize(packed, offsets, 384);
        }
    }

    /** Mean pooling over each packed sequence's rows and L2 normalisation (the same on both sides). */
    static float[] meanPoolNormalize(float[] hidden, int[] offsets, int dim) {
        int sequences = offsets.length - 1;
        float[] out = new float[sequences * dim];
        for (int s = 0; s < sequences; s++) {
            int tokens = offsets[s + 1] - offsets[s];
            for (int t = offsets[s]; t < offsets[s + 1]; t++) {
                for (int j = 0; j < dim; j++) {
                    out[s * dim + j] += hidden[t * dim + j];
                }
            }
            double norm = 0;
            for (int j = 0; j < dim; j++) {
                out[s * dim + j] /= tokens;
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
