package dev.bicross.convert;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.Precision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The acceptance of the int8 path on all-MiniLM-L6-v2 (converted from the Maven Central ONNX file): INT8
 * embeddings against the same model's FP32 embeddings, cosine ≥ 0.99 on every text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Int8AccuracyTest {

    private static final double MIN_COSINE = 0.99;

    private Path work;
    private BiEncoder fp32;
    private BiEncoder int8;

    @BeforeAll
    void convertAndLoad() throws Exception {
        work = Files.createTempDirectory("bicross-int8");
        Path onnx = work.resolve("all-minilm-l6-v2.onnx");
        for (String resource : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json")) {
            try (InputStream in = Int8AccuracyTest.class.getResourceAsStream("/" + resource)) {
                assertTrue(in != null, resource + " is not on the test class path");
                Files.copy(in, work.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path model = OnnxConverter.convert(onnx, work.resolve("model")).folder();
        fp32 = BiEncoder.load(model, Kernels.create(), Precision.FP32);
        int8 = BiEncoder.load(model, Kernels.create(), Precision.INT8);
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (work != null) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Cosine statistics of int8 vs fp32 over a list of texts; fails on the first text below the bound. */
    private double[] compare(String what, List<String> texts) {
        List<float[]> a = fp32.encode(texts, 32);
        List<float[]> b = int8.encode(texts, 32);
        double min = 1;
        double sum = 0;
        int worst = -1;
        for (int i = 0; i < texts.size(); i++) {
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < a.get(i).length; j++) {
                dot += (double) a.get(i)[j] * b.get(i)[j];
                na += (double) a.get(i)[j] * a.get(i)[j];
                nb += (double) b.get(i)[j] * b.get(i)[j];
            }
            double cosine = dot / Math.sqrt(na * nb);
            sum += cosine;
            if (cosine < min) {
                min = cosine;
                worst = i;
            }
        }
        double mean = sum / texts.size();
        System.out.printf("int8 vs fp32, %s: %d texts, min cosine %.6f, mean %.6f (worst: text %d)%n", what,
                texts.size(), min, mean, worst);
        assertTrue(min >= MIN_COSINE, what + ": min cosine " + min + " at text " + worst + " '"
                + texts.get(worst) + "'");
        assertTrue(min < 1 - 1e-7, what + ": int8 equals fp32 (min cosine " + min + "): weights not quantized?");
        return new double[]{min, mean};
    }

    @Test
    void builtInTextsStayAboveCosine099() {
        compare("built-in texts", List.of("How to play musical instruments?", "The cat sits outside",
                "A man is playing guitar", "I love pasta", "",
                "Transformers read the whole sentence at once; BERT's attention is bidirectional.",
                "x ".repeat(400)));
    }

    @Test
    void sharedTextsStayAboveCosine099() throws Exception {
        String property = System.getProperty("bicross.shared");
        Path data = property == null ? null : Path.of(property, "data");
        assumeTrue(data != null && Files.isDirectory(data), "skipped: ../shared/data not available (set -Dbicross.shared)");
        List<String> texts = BiEncoderOrtParityTest.sharedTexts(data);
        assertTrue(texts.size() >= 1000, "texts: " + texts.size());
        compare("shared texts", texts);
    }
}
