package dev.bicross.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.embed.ModelFingerprint;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.index.HnswIndex;
import dev.bicross.index.IndexMetadata;
import dev.bicross.index.ModelMismatchException;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Document;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A retriever on disk, one folder:
 * <ul>
 *   <li>{@code retriever.json} — format version, the bi-encoder that made the vectors, chunking, counts;</li>
 *   <li>{@code documents.jsonl} — one document per line ({@code _id}, {@code title}, {@code text}, {@code metadata});</li>
 *   <li>{@code passages.bin} — magic {@code BXPS}, version, count, (document, start, end) per passage, CRC32C;</li>
 *   <li>{@code vectors.hnsw} — the HNSW index of passage vectors (its own header and checksums).</li>
 * </ul>
 * A save writes a sibling temporary folder and swaps it in by renames, so a crash leaves the previous folder.
 */
final class RetrieverFiles {

    static final String MANIFEST = "retriever.json";
    static final String DOCUMENTS = "documents.jsonl";
    static final String PASSAGES = "passages.bin";
    static final String VECTORS = "vectors.hnsw";
    static final String FORMAT = "bicross-retriever";
    static final int VERSION = 1;
    private static final int PASSAGES_MAGIC = 0x42585053; // "BXPS"
    private static final ObjectMapper JSON = new ObjectMapper();

    private RetrieverFiles() {
    }

    static void save(Path dir, Retriever retriever) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        String name = target.getFileName().toString();
        restoreMovedAside(target);
        Path tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
        WRITING.add(tmp);
        try {
            deleteLeftovers(target);
            RetrieverStore store = retriever.store();
            writeDocuments(tmp.resolve(DOCUMENTS), store);
            writePassages(tmp.resolve(PASSAGES), store);
            retriever.index().save(tmp.resolve(VECTORS));
            writeManifest(tmp.resolve(MANIFEST), retriever);
            swapIn(tmp, target);
        } catch (IOException | RuntimeException e) {
            deleteRecursively(tmp);
            throw e;
        } finally {
            WRITING.remove(tmp);
        }
    }

    /** Temporary folders this JVM is writing now; any other {@code .<name>.tmp-*} is a killed save's leftover. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    /**
     * Completes a save killed between its two renames: the folder is missing but the previous one, moved aside
     * whole, is still there; it is renamed back. (Each save first deletes older leftovers, so at most one
     * moved-aside folder exists.)
     */
    private static void restoreMovedAside(Path target) throws IOException {
        if (Files.exists(target) || target.getParent() == null || !Files.isDirectory(target.getParent())) {
            return;
        }
        String prefix = "." + target.getFileName() + ".old-";
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            List<Path> aside = siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
            if (!aside.isEmpty() && Files.isRegularFile(aside.getLast().resolve(MANIFEST))) {
                move(aside.getLast(), target);
            }
        }
    }

    /**
     * Deletes what killed saves left next to an existing folder: temporary folders (except those this JVM is
     * writing) and a previous folder moved aside but not yet deleted. Two processes saving the same folder at
     * once is not supported (one of them fails; the folder stays whole).
     */
    private static void deleteLeftovers(Path target) throws IOException {
        if (!Files.exists(target)) {
            return;
        }
        String tmpPrefix = "." + target.getFileName() + ".tmp-";
        String oldPrefix = "." + target.getFileName() + ".old-";
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            for (Path p : siblings.toList()) {
                String n = p.getFileName().toString();
                if ((n.startsWith(tmpPrefix) && !WRITING.contains(p)) || n.startsWith(oldPrefix)) {
                    deleteRecursively(p);
                }
            }
        }
    }

    private static void writeManifest(Path file, Retriever retriever) throws IOException {
        ModelFingerprint f = retriever.biEncoder().fingerprint();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("version", VERSION);
        root.putObject("model").put("name", f.modelName()).put("fingerprint", f.id()).put("dimension", f.dimension())
                .put("source", retriever.modelSource()).put("precision", f.precision().id());
        root.putObject("chunking").put("window_tokens", retriever.chunking().windowTokens())
                .put("overlap_tokens", retriever.chunking().overlapTokens());
        root.put("documents", retriever.store().documentCount()).put("passages", retriever.store().chunkCount());
        writeSynced(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    private static void writeDocuments(Path file, RetrieverStore store) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             BufferedWriter w = new BufferedWriter(new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16)) {
            for (int i = 0; i < store.documentCount(); i++) {
                Document d = store.document(i);
                ObjectNode node = JSON.createObjectNode().put("_id", d.id()).put("title", d.title()).put("text", d.text());
                ObjectNode meta = node.putObject("metadata");
                d.metadata().forEach(meta::put);
                w.write(JSON.writeValueAsString(node));
                w.write('\n');
            }
        }
        force(file);
    }

    private static void writePassages(Path file, RetrieverStore store) throws IOException {
        CRC32C crc = new CRC32C();
        try (DataOutputStream out = new DataOutputStream(new CheckedOutputStream(
                new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16), crc))) {
            out.writeInt(PASSAGES_MAGIC);
            out.writeInt(VERSION);
            out.writeInt(store.chunkCount());
            for (int i = 0; i < store.chunkCount(); i++) {
                out.writeInt(store.chunkDocument(i));
                out.writeInt(store.chunkStart(i));
                out.writeInt(store.chunkEnd(i));
            }
            out.flush();
            long checksum = crc.getValue();
            out.writeLong(checksum);
        }
        force(file);
    }

    static Retriever open(Path dir, BiEncoder biEncoder, CrossEncoder crossEncoder) throws IOException {
        restoreMovedAside(dir.toAbsolutePath().normalize());
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new NoSuchFileException(manifestFile.toString(), null, interruptedSaveHint(dir)
                    + "not a bicross index folder (no " + MANIFEST + "); build one with 'bicross index'");
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestFile.toFile());
        } catch (IOException e) {
            throw new IOException(manifestFile + ": unreadable (" + e.getMessage() + ")", e);
        }
        if (!FORMAT.equals(manifest.path("format").asText()) || manifest.path("version").asInt(-1) != VERSION) {
            throw new IOException(manifestFile + ": not a " + FORMAT + " version " + VERSION + " manifest");
        }
        JsonNode model = manifest.path("model");
        ModelFingerprint f = biEncoder.fingerprint();
        Precision recorded = precisionOf(model);
        if (recorded != f.precision() && model.path("fingerprint").asText().startsWith(
                "sha256:" + f.weightsSha256() + "/" + f.dimension())) {
            throw new ModelMismatchException(dir + ": the index holds " + recorded.id() + " embeddings but the "
                    + "bi-encoder runs at " + f.precision().id() + "; " + recorded.id() + " and "
                    + f.precision().id() + " vectors differ slightly and are not mixed in one index: search with "
                    + "precision " + recorded.id() + " (--precision " + recorded.id() + ") or re-index");
        }
        new IndexMetadata(model.path("name").asText(), model.path("fingerprint").asText(),
                Math.max(1, model.path("dimension").asInt())).checkModel(f.modelName(), f.id());
        ChunkingSettings chunking = new ChunkingSettings(manifest.path("chunking").path("window_tokens").asInt(),
                manifest.path("chunking").path("overlap_tokens").asInt());

        RetrieverStore store = new RetrieverStore();
        readDocuments(dir.resolve(DOCUMENTS), store);
        readPassages(dir.resolve(PASSAGES), store);
        long documents = manifest.path("documents").asLong(-1);
        long passages = manifest.path("passages").asLong(-1);
        if (documents != store.documentCount() || passages != store.chunkCount()) {
            throw new IOException(dir + ": the manifest lists " + documents + " documents and " + passages
                    + " passages, the files hold " + store.documentCount() + " and " + store.chunkCount());
        }
        HnswIndex index = HnswIndex.load(dir.resolve(VECTORS), f.modelName(), f.id());
        if (index.size() != store.chunkCount()) {
            throw new IOException(dir.resolve(VECTORS) + ": holds " + index.size() + " vectors for "
                    + store.chunkCount() + " passages");
        }
        return new Retriever(biEncoder, crossEncoder, chunking, index, store, model.path("source").asText(""));
    }

    /** The precision recorded in a manifest's model node; FP32 when absent (indexes written before precisions). */
    private static Precision precisionOf(JsonNode model) throws IOException {
        String value = model.path("precision").asText("fp32");
        try {
            return Precision.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IOException(MANIFEST + ": " + e.getMessage(), e);
        }
    }

    static Precision readPrecision(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new NoSuchFileException(manifestFile.toString(), null, interruptedSaveHint(dir)
                    + "not a bicross index folder (no " + MANIFEST + "); build one with 'bicross index'");
        }
        return precisionOf(JSON.readTree(manifestFile.toFile()).path("model"));
    }

    static String readModelSource(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new NoSuchFileException(manifestFile.toString(), null, interruptedSaveHint(dir)
                    + "not a bicross index folder (no " + MANIFEST + "); build one with 'bicross index'");
        }
        return JSON.readTree(manifestFile.toFile()).path("model").path("source").asText("");
    }

    private static void readDocuments(Path file, RetrieverStore store) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long line = 0;
            for (String text; (text = r.readLine()) != null; ) {
                line++;
                try {
                    JsonNode node = JSON.readTree(text);
                    Map<String, String> metadata = new HashMap<>();
                    for (Iterator<Map.Entry<String, JsonNode>> it = node.path("metadata").fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        metadata.put(e.getKey(), e.getValue().asText());
                    }
                    store.addDocument(new Document(node.path("_id").asText(), node.path("title").asText(""),
                            node.path("text").asText(""), metadata));
                } catch (IOException | RuntimeException e) {
                    throw new IOException(file + ":" + line + ": corrupt document line (" + e.getMessage() + ")", e);
                }
            }
        }
    }

    private static void readPassages(Path file, RetrieverStore store) throws IOException {
        CRC32C crc = new CRC32C();
        try (DataInputStream in = new DataInputStream(new CheckedInputStream(
                new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16), crc))) {
            if (in.readInt() != PASSAGES_MAGIC) {
                throw new IOException(file + ": not a passages file (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(file + ": passages format version " + version + ", expected " + VERSION);
            }
            int count = in.readInt();
            if (count < 0 || (long) count * 12 > Files.size(file)) {
                throw new IOException(file + ": claims " + count + " passages, more than the file can hold");
            }
            for (int i = 0; i < count; i++) {
                int doc = in.readInt();
                int start = in.readInt();
                int end = in.readInt();
                try {
                    store.addChunk(doc, start, end);
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": passage " + i + ": " + e.getMessage(), e);
                }
            }
            long expected = crc.getValue();
            if (in.readLong() != expected) {
                throw new IOException(file + ": checksum mismatch (the file is corrupt)");
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated", e);
        }
    }

    /** Replaces {@code target} by {@code tmp} with renames: the old folder is moved aside, then deleted. */
    private static void swapIn(Path tmp, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
            move(target, old);
        }
        move(tmp, target);
        if (old != null) {
            deleteRecursively(old);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static String interruptedSaveHint(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().normalize().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return "";
        }
        String prefix = "." + dir.getFileName() + ".old-";
        try (Stream<Path> siblings = Files.list(parent)) {
            return siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst()
                    .map(p -> "a save was interrupted; the previous index is in " + p + " (rename it back); ")
                    .orElse("");
        }
    }

    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        force(file);
    }

    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
