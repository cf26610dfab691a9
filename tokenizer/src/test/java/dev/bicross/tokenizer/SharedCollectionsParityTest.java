package dev.bicross.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The acceptance test: every title, text and query of every collection under {@code ../shared/data}, alone and as
 * query/document pairs, at max length 128 and 512, gives the same ids, type ids, tokens and offsets as HF
 * tokenizers. Skips (with the reason) when the collections are absent.
 */
class SharedCollectionsParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] MAX_LENGTHS = {128, 512};

    @Test
    void everyCorpusAndQueryTextMatchesHuggingFace() throws IOException {
        String shared = System.getProperty("bicross.shared");
        Path data = shared == null ? null : Path.of(shared, "data");
        assumeTrue(data != null && Files.isDirectory(data),
                "skipped: shared test collections not found (system property bicross.shared = " + shared + ")");
        BertTokenizer ours = HfReference.ours();
        List<Path> collections;
        try (Stream<Path> s = Files.list(data)) {
            collections = s.filter(Files::isDirectory).sorted().toList();
        }
        long compared = 0;
        long mismatches = 0;
        for (Path collection : collections) {
            List<String> singles = new ArrayList<>();
            List<String> documents = new ArrayList<>();
            Path corpus = collection.resolve("corpus.jsonl.gz");
            if (Files.exists(corpus)) {
                for (JsonNode doc : readJsonl(corpus)) {
                    String title = doc.path("title").asText("");
                    String text = doc.path("text").asText("");
                    if (!title.isEmpty()) {
                        singles.add(title);
                    }
                    singles.add(text);
                    documents.add(title.isEmpty() ? text : title + " " + text);
                }
            }
            List<String> queries = new ArrayList<>();
            try (Stream<Path> s = Files.list(collection)) {
                for (Path q : s.filter(p -> p.getFileName().toString().matches("queries.*\\.jsonl")).sorted().toList()) {
                    for (JsonNode query : readJsonl(q)) {
                        queries.add(query.path("text").asText(""));
                    }
                }
            }
            singles.addAll(queries);
            // every document once, each with a query (round robin), so that every text takes part in a pair
            List<String> pairFirst = new ArrayList<>();
            for (int i = 0; i < documents.size() && !queries.isEmpty(); i++) {
                pairFirst.add(queries.get(i % queries.size()));
            }
            List<String> pairSecond = documents.subList(0, pairFirst.size());
            long before = mismatches;
            for (int maxLength : MAX_LENGTHS) {
                try (HuggingFaceTokenizer hf = HfReference.hf(maxLength, Truncation.LONGEST_FIRST)) {
                    ai.djl.huggingface.tokenizers.Encoding[] expected = hf.batchEncode(singles);
                    for (int i = 0; i < singles.size(); i++) {
                        mismatches += report(collection, "single@" + maxLength, singles.get(i), null,
                                HfReference.diff(expected[i], ours.encode(singles.get(i), maxLength), singles.get(i), null));
                    }
                    ai.djl.huggingface.tokenizers.Encoding[] expectedPairs =
                            hf.batchEncode(new PairList<>(pairFirst, pairSecond));
                    for (int i = 0; i < pairFirst.size(); i++) {
                        String a = pairFirst.get(i);
                        String b = pairSecond.get(i);
                        mismatches += report(collection, "pair@" + maxLength, a, b,
                                HfReference.diff(expectedPairs[i], ours.encodePair(a, b, maxLength), a, b));
                    }
                    compared += singles.size() + pairFirst.size();
                }
            }
            System.out.printf("parity %-12s %6d single texts (titles, texts, queries; %d queries), %6d pairs, x%d max lengths: %d mismatches%n",
                    collection.getFileName(), singles.size(), queries.size(), pairFirst.size(), MAX_LENGTHS.length,
                    mismatches - before);
        }
        System.out.printf("parity total: %d encodings compared with HF tokenizers, %d mismatches%n", compared,
                mismatches);
        assertEquals(0, mismatches, "encodings that differ from HF tokenizers (see output)");
    }

    private static int report(Path collection, String what, String a, String b, String diff) {
        if (diff == null) {
            return 0;
        }
        System.out.println("MISMATCH " + collection.getFileName() + " " + what + ": " + diff + "\n  text: "
                + JSON.valueToTree(a) + (b == null ? "" : "\n  pair: " + JSON.valueToTree(b)));
        return 1;
    }

    private static List<JsonNode> readJsonl(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        }
        return out;
    }
}
