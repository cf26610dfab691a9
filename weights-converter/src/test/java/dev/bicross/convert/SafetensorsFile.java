package dev.bicross.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A test-side decoder of safetensors files, written from the format description, independent of the engine. */
record SafetensorsFile(JsonNode header, ByteBuffer data) {

    static SafetensorsFile read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) bb.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(all, 8, n, StandardCharsets.UTF_8));
        ByteBuffer data = ByteBuffer.wrap(all, 8 + n, all.length - 8 - n).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new SafetensorsFile(header, data);
    }

    List<String> names() {
        List<String> out = new ArrayList<>();
        header.fieldNames().forEachRemaining(n -> {
            if (!n.equals("__metadata__")) {
                out.add(n);
            }
        });
        return out;
    }

    String shape(String name) {
        return header.get(name).get("shape").toString();
    }

    String dtype(String name) {
        return header.get(name).get("dtype").asText();
    }

    float[] floats(String name) {
        JsonNode off = header.get(name).get("data_offsets");
        int begin = off.get(0).asInt();
        int end = off.get(1).asInt();
        float[] out = new float[(end - begin) / 4];
        data.slice(begin, end - begin).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
