package dev.bicross.convert;

import dev.bicross.convert.onnx.OnnxFormatException;
import dev.bicross.convert.onnx.OnnxModel;
import dev.bicross.convert.onnx.OnnxReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Name recovery, config derivation and error handling on hand-built ONNX graphs with known answers. */
class SyntheticBertTest {

    @TempDir
    Path tmp;

    private static BertRecovery.Result recover(byte[] onnx) throws IOException {
        OnnxModel model = OnnxReader.read(ByteBuffer.wrap(onnx), "tiny.onnx");
        return BertRecovery.recover(model);
    }

    private static void assertRecoveredExactly(TinyBert tiny, BertRecovery.Result r) {
        assertEquals(tiny.expected.keySet().stream().sorted().toList(), r.tensors().keySet().stream().sorted().toList());
        for (Map.Entry<String, float[]> e : tiny.expected.entrySet()) {
            HfTensor t = r.tensors().get(e.getKey());
            assertArrayEquals(tiny.expectedShapes.get(e.getKey()), t.shape(), e.getKey());
            assertArrayEquals(MiniLmConversionTest.bits(e.getValue()), MiniLmConversionTest.bits(t.data()), e.getKey());
        }
    }

    @Test
    void recoversNamesTransposesAndDerivesTheConfig() throws IOException {
        TinyBert tiny = new TinyBert();
        BertRecovery.Result r = recover(tiny.build());
        assertRecoveredExactly(tiny, r);
        BertConfig c = r.config();
        assertEquals("BertModel", c.architecture());
        assertEquals(TinyBert.LAYERS, c.numHiddenLayers());
        assertEquals(TinyBert.H, c.hiddenSize());
        assertEquals(TinyBert.HEADS, c.numAttentionHeads());
        assertEquals(TinyBert.I, c.intermediateSize());
        assertEquals(TinyBert.V, c.vocabSize());
        assertEquals(TinyBert.P, c.maxPositions());
        assertEquals(TinyBert.T, c.typeVocabSize());
        assertEquals(TinyBert.EPS, c.layerNormEps());
        assertEquals("gelu", c.hiddenAct());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("position_ids")), r.notes().toString());
    }

    @Test
    void readsWeightsFromFloatDataAsWellAsRawData() throws IOException {
        TinyBert tiny = new TinyBert();
        tiny.floatData = true;
        assertRecoveredExactly(tiny, recover(tiny.build()));
    }

    @Test
    void recoversGemmWithTransposedWeight() throws IOException {
        TinyBert tiny = new TinyBert();
        tiny.gemmFor = "encoder.layer.1.intermediate.dense";
        assertRecoveredExactly(tiny, recover(tiny.build()));
    }

    @Test
    void readsEpsilonFromTheLayerNormalizationOperator() throws IOException {
        TinyBert tiny = new TinyBert();
        tiny.fusedLayerNorm = true;
        BertRecovery.Result r = recover(tiny.build());
        assertEquals(TinyBert.EPS, r.config().layerNormEps());
        assertRecoveredExactly(tiny, r);
    }

    @Test
    void recoversABertPrefixedClassifierModel() throws IOException {
        TinyBert tiny = new TinyBert();
        tiny.prefix = "bert.";
        tiny.classifier = true;
        BertRecovery.Result r = recover(tiny.build());
        assertRecoveredExactly(tiny, r);
        assertEquals("BertForSequenceClassification", r.config().architecture());
        assertEquals(3, r.config().numLabels());
        assertEquals(TinyBert.HEADS, r.config().numAttentionHeads());
        assertEquals(TinyBert.LAYERS, r.config().numHiddenLayers());
        assertTrue(r.tensors().containsKey("bert.encoder.layer.1.output.dense.weight"));
        assertTrue(r.tensors().containsKey("bert.pooler.dense.weight"));
    }

    @Test
    void missingInitializerIsNamed() {
        TinyBert tiny = new TinyBert();
        tiny.omit.add("encoder.layer.1.output.LayerNorm.weight");
        var e = assertThrows(ConversionException.class, () -> recover(tiny.build()));
        assertTrue(e.getMessage().contains("tiny.onnx"), e.getMessage());
        assertTrue(e.getMessage().contains("missing initializer 'encoder.layer.1.output.LayerNorm.weight'"), e.getMessage());
    }

    @Test
    void matMulWithoutBiasAddCannotBeNamed() {
        TinyBert tiny = new TinyBert();
        tiny.noBiasAddFor = "encoder.layer.0.attention.self.value";
        byte[] onnx = tiny.build();
        String anonymous = tiny.anonymous.entrySet().stream()
                .filter(e -> e.getValue().equals("encoder.layer.0.attention.self.value.weight")).findFirst().orElseThrow().getKey();
        var e = assertThrows(ConversionException.class, () -> recover(onnx));
        assertTrue(e.getMessage().contains("'" + anonymous + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot be recovered"), e.getMessage());
    }

    @Test
    void differingLayerNormEpsilonsAreRejected() {
        TinyBert tiny = new TinyBert();
        tiny.mixedEps = true;
        var e = assertThrows(ConversionException.class, () -> recover(tiny.build()));
        assertTrue(e.getMessage().contains("epsilon"), e.getMessage());
    }

    @Test
    void externalDataIsRejectedWithTheFileItPointsTo() {
        TinyBert tiny = new TinyBert();
        tiny.externalFor = "embeddings.word_embeddings.weight";
        var e = assertThrows(OnnxFormatException.class, () -> recover(tiny.build()));
        assertTrue(e.getMessage().contains("'embeddings.word_embeddings.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("external") && e.getMessage().contains("model.onnx_data"), e.getMessage());
    }

    @Test
    void everyTruncationIsAFormatError() {
        byte[] full = new TinyBert().build();
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            int len = n;
            var e = assertThrows(OnnxFormatException.class, () -> OnnxReader.read(ByteBuffer.wrap(cut), "cut.onnx"),
                    () -> "prefix of " + len + " bytes");
            assertTrue(e.getMessage().startsWith("cut.onnx: "), e.getMessage());
        }
    }

    @Test
    void garbageIsAFormatErrorNeverACrash() {
        Random random = new Random(1);
        for (int i = 0; i < 500; i++) {
            byte[] junk = new byte[1 + random.nextInt(300)];
            random.nextBytes(junk);
            assertThrows(OnnxFormatException.class, () -> OnnxReader.read(ByteBuffer.wrap(junk), "junk.onnx"));
        }
        byte[] json = "{\"model\": {\"type\": \"WordPiece\"}}".getBytes(StandardCharsets.UTF_8);
        var e = assertThrows(OnnxFormatException.class, () -> OnnxReader.read(ByteBuffer.wrap(json), "tokenizer.json"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: not an ONNX model"), e.getMessage());
    }

    @Test
    void truncatedRealModelFileIsReportedWithItsName() throws IOException {
        Path full = tmp.resolve("full.onnx");
        MiniLmConversionTest.copyResource(MiniLmConversionTest.ONNX, full);
        Path cut = tmp.resolve("truncated.onnx");
        try (var in = Files.newInputStream(full)) {
            Files.write(cut, in.readNBytes(5_000_000));
        }
        Path out = tmp.resolve("out");
        var e = assertThrows(OnnxFormatException.class, () -> OnnxConverter.convert(cut, out));
        assertTrue(e.getMessage().contains("truncated.onnx") && e.getMessage().contains("truncated?"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void failedConversionLeavesNoFolderAndNoDebris() throws IOException {
        TinyBert tiny = new TinyBert();
        tiny.omit.add("encoder.layer.0.attention.self.key.bias");
        Path model = tmp.resolve("broken.onnx");
        Files.write(model, tiny.build());
        Path out = tmp.resolve("models/broken");
        assertThrows(ConversionException.class, () -> OnnxConverter.convert(model, out));
        assertFalse(Files.exists(out));
        if (Files.exists(out.getParent())) {
            try (Stream<Path> s = Files.list(out.getParent())) {
                assertEquals(List.of(), s.toList());
            }
        }
    }

    @Test
    void folderInputAndFileOutputAreExplained() throws IOException {
        Path model = tmp.resolve("tiny.onnx");
        Files.write(model, new TinyBert().build());
        var folderInput = assertThrows(ConversionException.class, () -> OnnxConverter.convert(tmp, tmp.resolve("o")));
        assertTrue(folderInput.getMessage().contains("is a folder"), folderInput.getMessage());
        Path file = tmp.resolve("occupied");
        Files.writeString(file, "keep me");
        var fileOutput = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> OnnxConverter.convert(model, file));
        assertTrue(fileOutput.getMessage().contains("not a folder"), fileOutput.getMessage());
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void convertsTheTinyModelToAFolderAndRefusesToOverwrite() throws IOException {
        TinyBert tiny = new TinyBert();
        Path model = tmp.resolve("tiny.onnx");
        Files.write(model, tiny.build());
        Path out = tmp.resolve("tiny-hf");
        ConversionResult r = OnnxConverter.convert(model, out);
        assertEquals(tiny.expected.size(), r.tensorCount());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("no tokenizer.json")), r.notes().toString());
        SafetensorsFile st = SafetensorsFile.read(out.resolve("model.safetensors"));
        for (var e : tiny.expected.entrySet()) {
            assertArrayEquals(MiniLmConversionTest.bits(e.getValue()), MiniLmConversionTest.bits(st.floats(e.getKey())));
        }
        byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
        var e = assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> OnnxConverter.convert(model, out));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("model.safetensors")));

        // Replacing explicitly swaps the whole folder.
        Files.writeString(out.resolve("stale.txt"), "old");
        OnnxConverter.Options replace = new OnnxConverter.Options(SentenceTransformerSettings.ALL_MINILM_L6_V2, null,
                true, s -> { });
        OnnxConverter.convert(model, out, replace);
        assertFalse(Files.exists(out.resolve("stale.txt")));
        assertTrue(DefaultModels.isComplete(out));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("tiny-hf", "tiny.onnx"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
