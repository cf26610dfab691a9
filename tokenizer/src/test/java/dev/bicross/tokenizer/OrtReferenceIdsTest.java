package dev.bicross.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The token ids of the independent ONNX Runtime reference ({@code ../shared/reference}) come out of our tokenizer. */
class OrtReferenceIdsTest {

    @Test
    void referenceTokenIdsMatch() throws IOException {
        String shared = System.getProperty("bicross.shared");
        Path file = shared == null ? null : Path.of(shared, "reference", "all-minilm-l6-v2.ort-fp32.json");
        assumeTrue(file != null && Files.isRegularFile(file),
                "skipped: ORT reference not found (system property bicross.shared = " + shared + ")");
        BertTokenizer tokenizer = HfReference.ours();
        JsonNode items = new ObjectMapper().readTree(file.toFile()).path("items");
        assertTrue(items.size() > 0, "reference has no items");
        for (JsonNode item : items) {
            String text = item.path("text").asText();
            int[] expected = new int[item.path("token_ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = item.path("token_ids").path(i).asInt();
            }
            Encoding e = tokenizer.encode(text, 512);
            assertArrayEquals(expected, e.ids(), () -> text + " → " + Arrays.toString(e.tokens()));
        }
        System.out.println("ORT reference: token ids of " + items.size() + " texts match");
    }
}
