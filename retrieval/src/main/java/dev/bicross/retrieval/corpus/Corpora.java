package dev.bicross.retrieval.corpus;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads documents from the places users keep them: a BEIR folder ({@code corpus.jsonl[.gz]}), a JSON Lines file
 * ({@code {"_id" or "id", "title", "text", ...}} — other string fields become metadata), or a folder of
 * {@code .txt} / {@code .md} files (one document each, id = path relative to the folder).
 */
public final class Corpora {

    private Corpora() {
    }

    /** Reads the documents at {@code path}, whichever of the supported layouts it is. */
    public static List<Document> load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path beir = beirCorpusFile(path);
            return beir != null ? readJsonl(beir) : readTextFolder(path);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such corpus file or folder");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz") || name.endsWith(".json.gz") || name.endsWith(".ndjson")) {
            return readJsonl(path);
        }
        throw new CorpusFormatException(path, 0,
                "unsupported corpus file (expected a BEIR folder, a .jsonl[.gz] file, or a folder of .txt/.md files)");
    }

    /** The BEIR corpus file in {@code dir} ({@code corpus.jsonl} or {@code corpus.jsonl.gz}), or null. */
    static Path beirCorpusFile(Path dir) {
        for (String name : List.of("corpus.jsonl", "corpus.jsonl.gz")) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }

    /**
     * Reads a JSON Lines corpus; every line needs an {@code _id} (BEIR) or {@code id}, unique in the file.
     *
     * @throws CorpusFormatException naming the file and line: a line that is not a JSON object, a missing or
     *                               duplicate id, a corrupt or truncated {@code .gz} stream
     * @throws IOException           if the file cannot be read
     */
    public static List<Document> readJsonl(Path file) throws IOException {
        List<Document> documents = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        JsonLines.forEach(file, node -> {
            String id = JsonLines.text(node, node.has("_id") ? "_id" : "id");
            if (id.isBlank()) {
                throw new IllegalArgumentException("document without an \"_id\" or \"id\"");
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException("duplicate document id '" + id + "'");
            }
            documents.add(new Document(id, JsonLines.text(node, "title"), JsonLines.text(node, "text"), metadataOf(node)));
        });
        return documents;
    }

    private static Map<String, String> metadataOf(JsonNode node) {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            if (key.equals("_id") || key.equals("id") || key.equals("title") || key.equals("text")) {
                continue;
            }
            JsonNode value = field.getValue();
            if (value.isValueNode() && !value.isNull()) {
                metadata.put(key, value.asText());
            }
        }
        return metadata;
    }

    /** Reads every {@code .txt} and {@code .md} file under {@code dir} (recursively, in path order). */
    public static List<Document> readTextFolder(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> {
                        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                        return n.endsWith(".txt") || n.endsWith(".md");
                    })
                    .sorted()
                    .toList();
        }
        if (files.isEmpty()) {
            throw new CorpusFormatException(dir, 0, "no corpus.jsonl[.gz] and no .txt or .md files in this folder");
        }
        List<Document> documents = new ArrayList<>(files.size());
        for (Path file : files) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String id = dir.relativize(file).toString().replace('\\', '/');
            documents.add(new Document(id, titleOf(file, text), text, Map.of("path", file.toString())));
        }
        return documents;
    }

    /** A Markdown file's first heading, else the file name without its extension. */
    private static String titleOf(Path file, String text) {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".md")) {
            for (String line : text.lines().limit(20).toList()) {
                if (line.startsWith("# ")) {
                    return line.substring(2).strip();
                }
            }
        }
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /**
     * Reads BEIR {@code queries.jsonl}: {@code {"_id", "text"}} per line, in file order.
     *
     * @throws CorpusFormatException naming the file and line: not a JSON object, a missing or duplicate id
     * @throws IOException           if the file cannot be read
     */
    public static List<Query> readQueries(Path file) throws IOException {
        List<Query> queries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        JsonLines.forEach(file, node -> {
            String id = JsonLines.text(node, "_id");
            if (id.isBlank()) {
                throw new IllegalArgumentException("query without an \"_id\"");
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException("duplicate query id '" + id + "'");
            }
            queries.add(new Query(id, JsonLines.text(node, "text")));
        });
        return queries;
    }

    /**
     * Reads BEIR {@code qrels.tsv}: a header line {@code query-id corpus-id score}, then one judgement per line,
     * tab separated. Scores are integers; greater than zero means relevant.
     *
     * @throws CorpusFormatException naming the file and line: not UTF-8, not three fields, a score not an integer
     * @throws IOException           if the file cannot be read
     */
    public static Qrels readQrels(Path file) throws IOException {
        Map<String, Map<String, Integer>> judgements = new LinkedHashMap<>();
        long lineNumber = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split("\t");
                if (lineNumber == 1 && fields.length >= 3 && fields[0].equals("query-id")) {
                    continue;
                }
                if (fields.length != 3) {
                    throw new CorpusFormatException(file, lineNumber,
                            "expected 3 tab-separated fields (query-id, corpus-id, score), found " + fields.length);
                }
                int grade;
                try {
                    grade = Integer.parseInt(fields[2].strip());
                } catch (NumberFormatException e) {
                    throw new CorpusFormatException(file, lineNumber, "score '" + fields[2] + "' is not an integer");
                }
                judgements.computeIfAbsent(fields[0].strip(), q -> new LinkedHashMap<>()).put(fields[1].strip(), grade);
            }
        } catch (CharacterCodingException e) {
            throw new CorpusFormatException(file, lineNumber + 1, "not UTF-8 text (malformed bytes)", e);
        }
        return new Qrels(judgements);
    }
}
