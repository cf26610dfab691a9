package dev.bicross.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbedCommandTest {

    private static final List<String> WORDS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat",
            "sat", "on", "mat", "how", "to", "play", "guitar", "music", "dog");
    private static final int HIDDEN = 8;

    @TempDir
    Path model;

    /** A one-layer random BERT (hidden 8) with vocab.txt and sentence-transformers mean pooling + Normalize. */
    @BeforeEach
    void writeTinyModel() throws IOException {
        Random random = new Random(1);
        SafetensorsWriter w = new SafetensorsWriter();
        addRandom(w, random, "embeddings.word_embeddings.weight", WORDS.size(), HIDDEN);
        addRandom(w, random, "embeddings.position_embeddings.weight", 16, HIDDEN);
        addRandom(w, random, "embeddings.token_type_embeddings.weight", 2, HIDDEN);
        addOnes(w, "embeddings.LayerNorm.weight");
        addRandom(w, random, "embeddings.LayerNorm.bias", HIDDEN);
        String l = "encoder.layer.0.";
        for (String p : List.of("query", "key", "value")) {
            addRandom(w, random, l + "attention.self." + p + ".weight", HIDDEN, HIDDEN);
            addRandom(w, random, l + "attention.self." + p + ".bias", HIDDEN);
        }
        addRandom(w, random, l + "attention.output.dense.weight", HIDDEN, HIDDEN);
        addRandom(w, random, l + "attention.output.dense.bias", HIDDEN);
        addOnes(w, l + "attention.output.LayerNorm.weight");
        addRandom(w, random, l + "attention.output.LayerNorm.bias", HIDDEN);
        addRandom(w, random, l + "intermediate.dense.weight", 16, HIDDEN);
        addRandom(w, random, l + "intermediate.dense.bias", 16);
        addRandom(w, random, l + "output.dense.weight", HIDDEN, 16);
        addRandom(w, random, l + "output.dense.bias", HIDDEN);
        addOnes(w, l + "output.LayerNorm.weight");
        addRandom(w, random, l + "output.LayerNorm.bias", HIDDEN);
        w.write(model.resolve("model.safetensors"));
        Files.writeString(model.resolve("config.json"), """
                {"architectures": ["BertModel"], "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16,
                 "num_hidden_layers": 1, "vocab_size": %d, "max_position_embeddings": 16, "type_vocab_size": 2}
                """.formatted(WORDS.size()));
        Files.write(model.resolve("vocab.txt"), WORDS);
        Files.writeString(model.resolve("modules.json"), """
                [{"path": "", "type": "sentence_transformers.models.Transformer"},
                 {"path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]""");
    }

    private static void addRandom(SafetensorsWriter w, Random random, String name, int... dims) {
        int n = 1;
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            n *= dims[i];
            shape[i] = dims[i];
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * 0.3);
        }
        w.addF32(name, shape, v);
    }

    private static void addOnes(SafetensorsWriter w, String name) {
        float[] v = new float[HIDDEN];
        java.util.Arrays.fill(v, 1f);
        w.addF32(name, new long[]{HIDDEN}, v);
    }

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String stdin, String... args) {
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void writesOneNormalisedJsonVectorPerLineInOrder() throws IOException {
        List<String> lines = List.of("the cat sat on the mat", "", "how to play guitar", "dog", "   ");
        Run run = run(String.join("\n", lines) + "\n", "embed", "--model", model.toString(), "--batch-size", "2",
                "--stats");
        assertEquals(0, run.exitCode(), run.err());
        String[] outLines = run.out().split("\n");
        assertEquals(lines.size(), outLines.length, run.out());
        BiEncoder encoder = BiEncoder.load(model);
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode vector = json.readTree(outLines[i]);
            assertEquals(HIDDEN, vector.size(), "dimension of line " + i);
            float[] expected = encoder.encode(lines.get(i));
            double norm = 0;
            for (int j = 0; j < HIDDEN; j++) {
                assertEquals(expected[j], vector.get(j).floatValue(), 0f, "line " + i + " feature " + j);
                norm += vector.get(j).doubleValue() * vector.get(j).doubleValue();
            }
            assertEquals(1.0, norm, 1e-5, "norm of line " + i);
        }
        assertTrue(run.err().contains("5 texts") && run.err().contains("tokens/s"), run.err());
    }

    @Test
    void badArgumentsGiveOneLineErrors() {
        Run batch = run("x\n", "embed", "--model", model.toString(), "--batch-size", "0");
        assertEquals(1, batch.exitCode());
        assertTrue(batch.err().contains("--batch-size must be at least 1, got 0"), batch.err());
        Run missing = run("x\n", "embed", "--model", model.resolve("nope").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("nope: not a directory"), missing.err());
        List<String> errLines = new ArrayList<>(List.of(missing.err().split("\n")));
        assertTrue(errLines.size() <= 2, missing.err());
    }

    @Test
    void precisionInt8EmbedsWithQuantizedWeights() throws IOException {
        List<String> lines = List.of("the cat sat on the mat", "how to play guitar");
        Run int8 = run(String.join("\n", lines) + "\n", "embed", "--model", model.toString(), "--precision", "int8");
        assertEquals(0, int8.exitCode(), int8.err());
        BiEncoder quantized = BiEncoder.load(model, dev.bicross.engine.kernel.Precision.INT8);
        BiEncoder exact = BiEncoder.load(model);
        ObjectMapper json = new ObjectMapper();
        String[] outLines = int8.out().split("\n");
        double maxDiffToFp32 = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode vector = json.readTree(outLines[i]);
            float[] expected = quantized.encode(lines.get(i));
            float[] fp32 = exact.encode(lines.get(i));
            for (int j = 0; j < HIDDEN; j++) {
                assertEquals(expected[j], vector.get(j).floatValue(), 0f, "line " + i + " feature " + j);
                maxDiffToFp32 = Math.max(maxDiffToFp32, Math.abs(fp32[j] - vector.get(j).floatValue()));
            }
        }
        assertTrue(maxDiffToFp32 > 0, "--precision int8 printed the fp32 vectors");

        Run bad = run("x\n", "embed", "--model", model.toString(), "--precision", "int4");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("--precision: unknown precision 'int4' (bicross supports fp32, int8"),
                bad.err());
    }
}
