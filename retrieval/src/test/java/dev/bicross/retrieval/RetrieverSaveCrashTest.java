package dev.bicross.retrieval;

import dev.bicross.engine.TinyBert;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kills a child JVM (SIGKILL) at random moments while it saves a {@link Retriever} folder over and over; after
 * each kill the folder must open as the last generation the child reported or the next one, with exactly that
 * generation's documents, and leftovers (temporary and moved-aside folders) must not pile up. Generation
 * {@code g} holds documents {@code d0 .. d(BASE + 3g - 1)}, each with a text that is a function of its number.
 * More kills: {@code -Dbicross.crash.kills=100}.
 */
class RetrieverSaveCrashTest {

    static final int BASE = 300;
    private static final int KILLS = Integer.getInteger("bicross.crash.kills", 5);

    @TempDir
    Path dir;

    static String text(int n) {
        SplittableRandom random = new SplittableRandom(n);
        return IntStream.range(0, 5 + random.nextInt(40)).mapToObj(i -> "w" + random.nextInt(45))
                .collect(Collectors.joining(" "));
    }

    @Test
    void retrieverFolderSurvivesKillsDuringSave() throws Exception {
        TinyBert bert = new TinyBert(1, 16, 4, 40, 2, 50, 64, 2, 0);
        Path model = bert.write(dir.resolve("bi"), "", SafetensorsWriter.Dtype.F32);
        Files.writeString(model.resolve("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
                + IntStream.range(0, 45).mapToObj(i -> "w" + i).collect(Collectors.joining("\n")) + "\n");
        BiEncoder biEncoder = BiEncoder.load(model, Kernels.create());
        Path store = dir.resolve("store");
        SplittableRandom random = new SplittableRandom(11);
        int lastReported = -1;
        int restored = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Path log = dir.resolve("child-" + kill + ".log");
            Process child = new ProcessBuilder(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), Child.class.getName(), model.toString(),
                    store.toString())).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (lastSaved(log) < 0) { // each child saves once before it may be killed
                if (!child.isAlive() || System.nanoTime() > deadline) {
                    child.destroyForcibly();
                    fail("child never saved: " + Files.readString(log));
                }
                Thread.sleep(5);
            }
            Thread.sleep(random.nextInt(300));
            child.destroyForcibly();
            child.waitFor();
            int last = lastSaved(log);
            boolean missing = !Files.exists(store);
            if (missing) {
                restored++; // killed between the two renames: open must bring the previous folder back
            }
            int generation = verify(store, biEncoder);
            assertTrue(generation == last || generation == last + 1,
                    "folder holds generation " + generation + ", the child last reported " + last);
            try (Stream<Path> siblings = Files.list(dir)) {
                List<Path> leftovers = siblings.filter(p -> p.getFileName().toString().startsWith(".store."))
                        .toList();
                assertTrue(leftovers.size() <= 1, "leftovers pile up: " + leftovers);
            }
            lastReported = generation;
        }
        System.out.println("[crash] retriever folder: " + KILLS + " kills survived, reached generation "
                + lastReported + ", " + restored + " kills landed between the renames (previous folder restored)");
    }

    /** The narrow window a random kill rarely hits, staged exactly: killed between the two renames of a save. */
    @Test
    void folderMovedAsideByAKilledSaveIsRestoredAndLeftoversAreCleaned() throws Exception {
        TinyBert bert = new TinyBert(1, 16, 4, 40, 2, 50, 64, 2, 0);
        Path model = bert.write(dir.resolve("bi"), "", SafetensorsWriter.Dtype.F32);
        Files.writeString(model.resolve("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
                + IntStream.range(0, 45).mapToObj(i -> "w" + i).collect(Collectors.joining("\n")) + "\n");
        BiEncoder biEncoder = BiEncoder.load(model, Kernels.create());
        Retriever r = Retriever.builder(biEncoder).chunking(new ChunkingSettings(20, 4)).build();
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < BASE + 6; i++) {
            docs.add(new Document("d" + i, "", text(i)));
        }
        r.addAll(docs);
        Path store = dir.resolve("store");
        r.save(store);
        // What a kill after "move folder aside" and before "move new folder in" leaves:
        Files.move(store, dir.resolve(".store.old-123456"));
        Files.createDirectories(dir.resolve(".store.tmp-987"));
        Files.writeString(dir.resolve(".store.tmp-987").resolve("documents.jsonl"), "{\"_id\": \"half");
        assertEquals(2, verify(store, biEncoder), "the moved-aside folder is opened as the store");
        r.add(new Document("d" + (BASE + 6), "", text(BASE + 6)));
        r.add(new Document("d" + (BASE + 7), "", text(BASE + 7)));
        r.add(new Document("d" + (BASE + 8), "", text(BASE + 8)));
        r.save(store);
        assertEquals(3, verify(store, biEncoder));
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of(), siblings.filter(p -> p.getFileName().toString().startsWith(".store.")).toList(),
                    "the next save deletes what killed saves left");
        }
    }

    private static int lastSaved(Path log) throws IOException {
        int last = -1;
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("saved ")) {
                    last = Integer.parseInt(line.substring(6).strip());
                }
            }
        }
        return last;
    }

    /** Opens the folder, checks it is exactly one generation, returns it. */
    static int verify(Path store, BiEncoder biEncoder) throws IOException {
        Retriever r = Retriever.open(store, biEncoder, null);
        int generation = (r.size() - BASE) / 3;
        assertEquals(BASE + 3 * generation, r.size(), "document count fits no generation");
        for (int i = 0; i < r.size(); i++) {
            Document d = r.store().document(i);
            assertEquals("d" + i, d.id());
            assertEquals(text(i), d.text(), "text of d" + i);
        }
        SearchResult result = r.search(text(BASE - 1), new SearchOptions(5, 20, false));
        assertEquals(5, result.hits().size());
        return generation;
    }

    /** The child: continues from the folder's generation, saving each next one until killed. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            BiEncoder biEncoder = BiEncoder.load(Path.of(args[0]), Kernels.create());
            Path store = Path.of(args[1]);
            Retriever r;
            int generation;
            if (Files.exists(store)) { // the parent opened it after the last kill, restoring a moved-aside folder
                r = Retriever.open(store, biEncoder, null);
                generation = (r.size() - BASE) / 3;
            } else {
                r = Retriever.builder(biEncoder).chunking(new ChunkingSettings(20, 4)).build();
                List<Document> docs = new ArrayList<>();
                for (int i = 0; i < BASE; i++) {
                    docs.add(new Document("d" + i, "", text(i)));
                }
                r.addAll(docs);
                generation = 0;
                r.save(store);
                System.out.println("saved 0");
                System.out.flush();
            }
            while (true) {
                generation++;
                for (int i = BASE + 3 * (generation - 1); i < BASE + 3 * generation; i++) {
                    r.add(new Document("d" + i, "", text(i)));
                }
                r.save(store);
                System.out.println("saved " + generation);
                System.out.flush();
            }
        }
    }
}
