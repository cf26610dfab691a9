package dev.bicross.convert;

import dev.bicross.convert.onnx.OnnxModel;
import dev.bicross.convert.onnx.OnnxReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import dev.bicross.convert.onnx.OnnxTensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The dynamically quantized sibling (int8 MatMulInteger weights with per-column scales, uint8 embeddings) converts by
 * dequantizing to F32. Checked against the FP32 export of the same model: quantization error is bounded by half a
 * quantization step per weight, so the dequantized weights must lie within scale/2 (+ float slack) of the FP32 ones;
 * everything that was not quantized (biases, LayerNorms) is identical.
 */
class QuantizedConversionTest {

    @TempDir
    Path tmp;

    @Test
    void dequantizedWeightsAreWithinHalfAStepOfTheFp32Weights() throws IOException {
        Path out = tmp.resolve("q");
        ConversionResult q = OnnxConverter.convert(MavenJars.quantized(), out);
        assertEquals(101, q.tensorCount());
        assertEquals(12, q.config().numAttentionHeads());
        assertEquals(6, q.config().numHiddenLayers());

        Path fp = tmp.resolve("fp32");
        OnnxConverter.convert(MavenJars.fp32(), fp);
        SafetensorsFile qs = SafetensorsFile.read(out.resolve("model.safetensors"));
        SafetensorsFile fs = SafetensorsFile.read(fp.resolve("model.safetensors"));
        assertEquals(fs.names(), qs.names());
        OnnxModel qm = OnnxReader.read(java.nio.ByteBuffer.wrap(readEntry()), "q");
        // HF name -> the quantizer's scale tensor (<weight>_scale, per output column or scalar).
        Map<String, OnnxTensor> scales = new HashMap<>();
        for (var e : q.recoveredNames().entrySet()) {
            String base = e.getKey().substring(0, e.getKey().length() - "_quantized".length());
            scales.put(e.getValue(), qm.graph().initializer(base + "_scale"));
        }
        assertEquals(36 + 3, scales.size(), "36 dense weights and 3 embedding tables were quantized");
        for (String name : fs.names()) {
            assertEquals(fs.shape(name), qs.shape(name), name);
            float[] a = fs.floats(name);
            float[] b = qs.floats(name);
            OnnxTensor scale = scales.get(name);
            if (scale == null) {
                assertArrayEquals(MiniLmConversionTest.bits(a), MiniLmConversionTest.bits(b), name + " is not quantized");
                continue;
            }
            float[] s = scale.toFloats();
            int cols = (int) qs.header().get(name).get("shape").get(1).asLong();
            for (int i = 0; i < a.length; i++) {
                // Dense weights are [out, in] now; the scale is per output (row) or one for the whole table.
                float step = s.length == 1 ? s[0] : s[i / cols];
                double bound = step * 0.5 * 1.0001 + 1e-7;
                if (Math.abs(a[i] - b[i]) > bound) {
                    throw new AssertionError(name + "[" + i + "]: fp32 " + a[i] + " vs dequantized " + b[i]
                            + " differ by more than half a step (" + step + ")");
                }
            }
        }
        assertEquals(true, qm.producerName().contains("quantize"));
    }

    private static byte[] readEntry() throws IOException {
        try (var in = QuantizedConversionTest.class.getResourceAsStream("/all-minilm-l6-v2-q.onnx")) {
            return in.readAllBytes();
        }
    }
}
