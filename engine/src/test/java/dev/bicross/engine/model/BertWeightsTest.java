package dev.bicross.engine.model;

import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.TinyBert;
import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints that disagree with their config are refused, naming file and tensor. */
class BertWeightsTest {

    @TempDir
    Path tmp;

    private String refused(TinyBert bert) throws IOException {
        Path dir = bert.write(tmp, "", SafetensorsWriter.Dtype.F32);
        var e = assertThrows(ModelFormatException.class, () -> BertModel.load(dir, Kernels.create()));
        assertTrue(e.getMessage().startsWith(dir.resolve("model.safetensors").toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        TinyBert bert = TinyBert.small(1);
        bert.tensors.remove("encoder.layer.1.attention.self.key.bias");
        String message = refused(bert);
        assertTrue(message.contains("missing tensor 'encoder.layer.1.attention.self.key.bias'"), message);
    }

    @Test
    void wrongShapeIsNamed() throws IOException {
        TinyBert bert = TinyBert.small(1);
        bert.tensors.put("encoder.layer.0.intermediate.dense.weight",
                new TinyBert.Tensor(new long[]{16, 40}, new float[640]));
        String message = refused(bert);
        assertTrue(message.contains("tensor 'encoder.layer.0.intermediate.dense.weight' has shape [16, 40] but "
                + "config.json implies [40, 16]"), message);
    }

    @Test
    void configWithMoreLayersThanTheFileIsRefused() throws IOException {
        TinyBert bert = TinyBert.small(1);
        bert.tensors.keySet().removeIf(name -> name.startsWith("encoder.layer.1."));
        String message = refused(bert);
        assertTrue(message.contains("missing tensor 'encoder.layer.1."), message);
    }

    @Test
    void quantizedTensorIsRefusedWithItsDtype() throws IOException {
        TinyBert bert = TinyBert.small(1);
        Path dir = tmp.resolve("int8");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), bert.configJson());
        // A hand-made file: every tensor F32 except one stored as I8 (one byte per element).
        String quantized = "encoder.layer.0.output.dense.weight";
        StringBuilder header = new StringBuilder("{");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (var e : bert.tensors.entrySet()) {
            boolean int8 = e.getKey().equals(quantized);
            int begin = data.size();
            for (float v : e.getValue().values()) {
                if (int8) {
                    data.write((int) (v * 100));
                } else {
                    int bits = Float.floatToRawIntBits(v);
                    data.write(bits);
                    data.write(bits >>> 8);
                    data.write(bits >>> 16);
                    data.write(bits >>> 24);
                }
            }
            header.append(header.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{\"dtype\":\"")
                    .append(int8 ? "I8" : "F32").append("\",\"shape\":")
                    .append(Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(begin).append(',').append(data.size()).append("]}");
        }
        byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json).put(data.toByteArray());
        Files.write(dir.resolve("model.safetensors"), file.array());

        var e = assertThrows(ModelFormatException.class, () -> BertModel.load(dir, Kernels.create()));
        assertTrue(e.getMessage().contains("tensor '" + quantized + "' has unsupported dtype I8"), e.getMessage());
    }
}
