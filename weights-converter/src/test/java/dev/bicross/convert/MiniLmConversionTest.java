package dev.bicross.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.convert.onnx.OnnxModel;
import dev.bicross.convert.onnx.OnnxNode;
import dev.bicross.convert.onnx.OnnxReader;
import dev.bicross.convert.onnx.OnnxTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Converts the all-MiniLM-L6-v2 ONNX from the langchain4j jar (a test dependency) once, then checks the folder
 * against what is known independently of the converter: HF BERT naming and shapes, the documented config of
 * all-MiniLM-L6-v2, and the ONNX initializers themselves (located through the exporter's node names, which the
 * converter does not use).
 */
class MiniLmConversionTest {

    static final String ONNX = "/all-minilm-l6-v2.onnx";
    static final String TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

    @TempDir
    static Path tmp;
    static Path folder;
    static ConversionResult result;
    static SafetensorsFile safetensors;
    static OnnxModel onnx;

    @BeforeAll
    static void convertOnce() throws IOException {
        Path model = tmp.resolve("all-minilm-l6-v2.onnx");
        copyResource(ONNX, model);
        copyResource(TOKENIZER, tmp.resolve("all-minilm-l6-v2-tokenizer.json"));
        folder = tmp.resolve("out/all-MiniLM-L6-v2");
        result = OnnxConverter.convert(model, folder);
        safetensors = SafetensorsFile.read(folder.resolve("model.safetensors"));
        onnx = OnnxReader.read(model);
    }

    static void copyResource(String resource, Path to) throws IOException {
        try (InputStream in = MiniLmConversionTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " not on the test class path (langchain4j MiniLM jar)");
            }
            Files.copy(in, to);
        }
    }

    /** The parameters of a 6-layer, 384-wide BertModel in transformers' naming, with PyTorch shapes. */
    static Map<String, String> expectedShapes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("embeddings.word_embeddings.weight", "[30522,384]");
        m.put("embeddings.position_embeddings.weight", "[512,384]");
        m.put("embeddings.token_type_embeddings.weight", "[2,384]");
        m.put("embeddings.LayerNorm.weight", "[384]");
        m.put("embeddings.LayerNorm.bias", "[384]");
        for (int l = 0; l < 6; l++) {
            String p = "encoder.layer." + l + ".";
            for (String s : List.of("query", "key", "value")) {
                m.put(p + "attention.self." + s + ".weight", "[384,384]");
                m.put(p + "attention.self." + s + ".bias", "[384]");
            }
            m.put(p + "attention.output.dense.weight", "[384,384]");
            m.put(p + "attention.output.dense.bias", "[384]");
            m.put(p + "attention.output.LayerNorm.weight", "[384]");
            m.put(p + "attention.output.LayerNorm.bias", "[384]");
            m.put(p + "intermediate.dense.weight", "[1536,384]");
            m.put(p + "intermediate.dense.bias", "[1536]");
            m.put(p + "output.dense.weight", "[384,1536]");
            m.put(p + "output.dense.bias", "[384]");
            m.put(p + "output.LayerNorm.weight", "[384]");
            m.put(p + "output.LayerNorm.bias", "[384]");
        }
        return m;
    }

    @Test
    void hasExactlyTheBertParametersWithPyTorchShapesInF32() {
        Map<String, String> expected = expectedShapes();
        assertEquals(List.copyOf(expected.keySet()), safetensors.names(), "names, in HF state-dict order");
        for (var e : expected.entrySet()) {
            assertEquals(e.getValue(), safetensors.shape(e.getKey()), e.getKey());
            assertEquals("F32", safetensors.dtype(e.getKey()), e.getKey());
        }
        assertEquals(101, result.tensorCount());
        assertEquals("pt", safetensors.header().get("__metadata__").get("format").asText());
    }

    @Test
    void denseWeightsAreTheTransposedOnnxInitializersBitForBit() throws IOException {
        // The exporter names each MatMul node after its module: /encoder/layer.3/attention/self/query/MatMul.
        Map<String, OnnxTensor> byModule = new HashMap<>();
        for (OnnxNode n : onnx.graph().nodes()) {
            OnnxTensor w = n.inputs().size() == 2 ? onnx.graph().initializer(n.inputs().get(1)) : null;
            if (n.opType().equals("MatMul") && w != null) {
                String module = n.name().substring(1, n.name().length() - "/MatMul".length()).replace('/', '.');
                byModule.put(module + ".weight", w);
            }
        }
        assertEquals(36, byModule.size(), "6 layers x (q, k, v, attention out, intermediate, output)");
        for (var e : byModule.entrySet()) {
            OnnxTensor w = e.getValue();
            assertTrue(w.name().startsWith("onnx::MatMul_"), w.name());
            int in = (int) w.dims()[0];
            int out = (int) w.dims()[1];
            float[] stored = w.toFloats(); // [in, out]
            float[] converted = safetensors.floats(e.getKey()); // [out, in]
            assertEquals("[" + out + "," + in + "]", safetensors.shape(e.getKey()), e.getKey());
            for (int i = 0; i < in; i++) {
                for (int o = 0; o < out; o++) {
                    if (Float.floatToRawIntBits(stored[i * out + o]) != Float.floatToRawIntBits(converted[o * in + i])) {
                        throw new AssertionError(e.getKey() + "[" + o + "," + i + "] != " + w.name() + "[" + i + "," + o + "]");
                    }
                }
            }
            assertEquals(e.getKey(), result.recoveredNames().get(w.name()));
        }
    }

    @Test
    void namedInitializersAreCopiedBitForBit() throws IOException {
        for (String name : expectedShapes().keySet()) {
            OnnxTensor t = onnx.graph().initializer(name);
            if (name.endsWith(".bias") || name.contains("LayerNorm") || name.startsWith("embeddings.")) {
                assertArrayEquals(bits(t.toFloats()), bits(safetensors.floats(name)), name);
            }
        }
    }

    static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    @Test
    void configMatchesThePublishedAllMiniLmL6V2() throws IOException {
        JsonNode c = new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        assertEquals("BertModel", c.get("architectures").get(0).asText());
        assertEquals("bert", c.get("model_type").asText());
        assertEquals(6, c.get("num_hidden_layers").asInt());
        assertEquals(384, c.get("hidden_size").asInt());
        assertEquals(12, c.get("num_attention_heads").asInt());
        assertEquals(1536, c.get("intermediate_size").asInt());
        assertEquals(30522, c.get("vocab_size").asInt());
        assertEquals(512, c.get("max_position_embeddings").asInt());
        assertEquals(2, c.get("type_vocab_size").asInt());
        assertEquals(1e-12, c.get("layer_norm_eps").asDouble(), 0.0);
        assertEquals("gelu", c.get("hidden_act").asText());
        assertEquals(0, c.get("pad_token_id").asInt());
        assertEquals("absolute", c.get("position_embedding_type").asText());
    }

    @Test
    void sentenceTransformersAndTokenizerFilesAreThere() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode modules = json.readTree(folder.resolve("modules.json").toFile());
        assertEquals(3, modules.size());
        assertEquals("sentence_transformers.models.Transformer", modules.get(0).get("type").asText());
        assertEquals("1_Pooling", modules.get(1).get("path").asText());
        assertEquals("sentence_transformers.models.Pooling", modules.get(1).get("type").asText());
        assertEquals("sentence_transformers.models.Normalize", modules.get(2).get("type").asText());
        JsonNode sbert = json.readTree(folder.resolve("sentence_bert_config.json").toFile());
        assertEquals(256, sbert.get("max_seq_length").asInt());
        assertFalse(sbert.get("do_lower_case").asBoolean());
        JsonNode pooling = json.readTree(folder.resolve("1_Pooling/config.json").toFile());
        assertEquals(384, pooling.get("word_embedding_dimension").asInt());
        assertTrue(pooling.get("pooling_mode_mean_tokens").asBoolean());
        assertFalse(pooling.get("pooling_mode_cls_token").asBoolean());
        assertFalse(pooling.get("pooling_mode_max_tokens").asBoolean());

        byte[] original;
        try (InputStream in = getClass().getResourceAsStream(TOKENIZER)) {
            original = in.readAllBytes();
        }
        assertArrayEquals(original, Files.readAllBytes(folder.resolve("tokenizer.json")));
        List<String> vocab = Files.readAllLines(folder.resolve("vocab.txt"));
        assertEquals(30522, vocab.size());
        assertEquals("[PAD]", vocab.get(0));
        assertEquals("[UNK]", vocab.get(100));
        assertEquals("[CLS]", vocab.get(101));
        assertEquals("[SEP]", vocab.get(102));
        assertEquals("[MASK]", vocab.get(103));
        JsonNode tc = json.readTree(folder.resolve("tokenizer_config.json").toFile());
        assertTrue(tc.get("do_lower_case").asBoolean());
        assertEquals("BertTokenizer", tc.get("tokenizer_class").asText());
        JsonNode special = json.readTree(folder.resolve("special_tokens_map.json").toFile());
        assertEquals("[CLS]", special.get("cls_token").asText());
        assertTrue(Files.isRegularFile(folder.resolve(OnnxConverter.MARKER_FILE)));
    }

    @Test
    void leavesNoTemporaryFoldersBehind() throws IOException {
        try (Stream<Path> s = Files.list(folder.getParent())) {
            assertEquals(List.of(folder), s.toList());
        }
    }

    @Test
    void convertsFromTheJarToo() throws IOException {
        Path jar = MavenJars.fp32();
        Path out = tmp.resolve("from-jar");
        ConversionResult fromJar = OnnxConverter.convert(jar, out);
        assertEquals(101, fromJar.tensorCount());
        assertArrayEquals(Files.readAllBytes(folder.resolve("model.safetensors")),
                Files.readAllBytes(out.resolve("model.safetensors")), "same bytes as from the bare .onnx");
        assertArrayEquals(Files.readAllBytes(folder.resolve("tokenizer.json")), Files.readAllBytes(out.resolve("tokenizer.json")));
    }

}
