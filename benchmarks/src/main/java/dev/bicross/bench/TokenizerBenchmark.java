package dev.bicross.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.tokenizer.BertTokenizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
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
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Tokenizer throughput, bicross vs HF tokenizers (Rust, via DJL JNI), on the same texts in the same run: every
 * document (title + " " + text) of a shared collection, encoded one by one with truncation to {@code maxLength}
 * (as an indexer would), all-MiniLM-L6-v2's tokenizer.json. The {@code tokens} counter is tokens per second.
 * {@code djlBatch} is HF's batch API, which may use several threads; the others are single-threaded.
 *
 * <pre>
 * ./mvnw -B -q -o -pl benchmarks -am package -DskipTests
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -Dbicross.shared=../shared \
 *     -jar benchmarks/target/benchmarks.jar TokenizerBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerBenchmark {

    /** Collection under {@code <bicross.shared>/data}; a synthetic fixture when absent. */
    @Param({"cisi"})
    public String collection;

    @Param({"512"})
    public int maxLength;

    private List<String> texts;
    private BertTokenizer bicross;
    private HuggingFaceTokenizer hf;

    /** Tokens produced, reported by JMH as a rate (tokens/s). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        public long tokens;

        @Setup(Level.Iteration)
        public void reset() {
            tokens = 0;
        }
    }

    @Setup
    public void setUp() throws IOException {
        texts = loadTexts(collection);
        Path json = Files.createTempFile("bicross-bench-", "-tokenizer.json");
        json.toFile().deleteOnExit();
        try (InputStream in = TokenizerBenchmark.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, json, StandardCopyOption.REPLACE_EXISTING);
        }
        bicross = BertTokenizer.fromTokenizerJson(json);
        hf = HuggingFaceTokenizer.builder().optTokenizerPath(json).optPadding(false).optTruncation(true)
                .optMaxLength(maxLength).build();
        long ours = 0;
        long theirs = 0;
        for (String t : texts) {
            ours += bicross.encode(t, maxLength).length();
            theirs += hf.encode(t).getIds().length;
        }
        System.out.printf("%n%d texts, %d tokens (bicross) / %d tokens (HF)%n", texts.size(), ours, theirs);
        if (ours != theirs) {
            throw new IllegalStateException("bicross and HF disagree on the token count: " + ours + " vs " + theirs);
        }
    }

    @TearDown
    public void tearDown() {
        hf.close();
    }

    @Benchmark
    public long bicross(Tokens counter) {
        long n = 0;
        for (String t : texts) {
            n += bicross.encode(t, maxLength).length();
        }
        counter.tokens += n;
        return n;
    }

    @Benchmark
    public long djl(Tokens counter) {
        long n = 0;
        for (String t : texts) {
            n += hf.encode(t).getIds().length;
        }
        counter.tokens += n;
        return n;
    }

    @Benchmark
    public long djlBatch(Tokens counter) {
        long n = 0;
        for (ai.djl.huggingface.tokenizers.Encoding e : hf.batchEncode(texts)) {
            n += e.getIds().length;
        }
        counter.tokens += n;
        return n;
    }

    private static List<String> loadTexts(String collection) throws IOException {
        Path corpus = Path.of(System.getProperty("bicross.shared", "../shared"), "data", collection, "corpus.jsonl.gz");
        List<String> out = new ArrayList<>();
        if (Files.isRegularFile(corpus)) {
            ObjectMapper mapper = new ObjectMapper();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    JsonNode doc = mapper.readTree(line);
                    String title = doc.path("title").asText("");
                    String text = doc.path("text").asText("");
                    out.add(title.isEmpty() ? text : title + " " + text);
                }
            }
            return out;
        }
        System.out.println("\n" + corpus + " not found: using a synthetic fixture");
        String[] words = ("the retrieval of information from large collections of documents depends on indexing "
                + "Boolean queries ranking probabilistic models évaluation naïve 検索 relevance feedback, precision; "
                + "recall (1987) U.S.A. co-operation").split(" ");
        Random random = new Random(42);
        for (int d = 0; d < 1500; d++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0, n = 40 + random.nextInt(200); w < n; w++) {
                sb.append(words[random.nextInt(words.length)]).append(' ');
            }
            out.add(sb.toString());
        }
        return out;
    }
}
