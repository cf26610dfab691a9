package dev.bicross.index;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Searches, adds, updates, deletes and saves running at once on one index for a bounded time; every search is
 * checked while the run goes on, and the index is checked in full when it ends.
 *
 * <p>Run longer with {@code -Dbicross.stress.millis=60000} (per test), more threads with
 * {@code -Dbicross.stress.searchers=N -Dbicross.stress.writers=M}.
 *
 * <p>"Deleted" is made precise with a logical clock: a writer ticks the clock after {@code delete} returns and
 * records the tick; a search reads the clock before it starts. A hit whose id was deleted at a tick no later
 * than the search's start is a violation (the delete completed before the search began). Each id's vector is
 * a pure function of (id, version), so every hit's score can be checked against the vector it must have.
 */
class IndexStressTest {

    private static final long MILLIS = Long.getLong("bicross.stress.millis", 3000);
    private static final int SEARCHERS = Integer.getInteger("bicross.stress.searchers", 3);
    private static final int WRITERS = Integer.getInteger("bicross.stress.writers", 2);
    /** Live ids per writer above which the writer deletes rather than adds (bounds the final checks). */
    private static final int LIVE_CAP = Integer.getInteger("bicross.stress.liveCap", 2500);
    private static final int DIM = 24;

    @TempDir
    Path dir;

    /**
     * Gets the distance kernels compiled before the clock starts: interpreted Vector API code is orders of
     * magnitude slower, and a cold first test would spend its time budget on a few hundred operations.
     */
    @BeforeAll
    static void warmUp() {
        FlatIndex flat = FlatIndex.create(DIM, Metric.COSINE);
        HnswIndex hnsw = HnswIndex.builder(DIM, Metric.EUCLIDEAN).m(8).efConstruction(32).buildThreads(1).build();
        for (int i = 0; i < 3000; i++) {
            flat.add(i, vectorOf(i, 0));
            hnsw.add(i, vectorOf(i, 0));
        }
        for (int i = 0; i < 1000; i++) {
            flat.search(vectorOf(i, 1), 10);
            hnsw.search(vectorOf(i, 1), 10);
        }
    }

    @Test
    void hnswCosine() throws Exception {
        HnswIndex index = HnswIndex.builder(DIM, Metric.COSINE).m(8).efConstruction(48).efSearch(32)
                .initialCapacity(16).buildThreads(2).seed(7).build();
        Stats stats = new Run(index, () -> HnswIndex.class, dir).go();
        System.out.println("[stress] HNSW cosine: " + stats);
    }

    @Test
    void hnswEuclidean() throws Exception {
        HnswIndex index = HnswIndex.builder(DIM, Metric.EUCLIDEAN).m(8).efConstruction(40).efSearch(24)
                .initialCapacity(1).buildThreads(2).seed(11).build();
        Stats stats = new Run(index, () -> HnswIndex.class, dir).go();
        System.out.println("[stress] HNSW euclidean: " + stats);
    }

    @Test
    void flat() throws Exception {
        FlatIndex index = FlatIndex.create(DIM, Metric.COSINE);
        Stats stats = new Run(index, () -> FlatIndex.class, dir).go();
        System.out.println("[stress] flat: " + stats);
    }

    record Stats(long searches, long adds, long deletes, long updates, long saves, int live) {
    }

    /** The vector of {@code id} at {@code version}: reproducible from the pair alone. */
    static float[] vectorOf(long id, int version) {
        SplittableRandom random = new SplittableRandom(id * 0x9E3779B97F4A7C15L);
        SplittableRandom jitter = new SplittableRandom(id * 0x9E3779B97F4A7C15L + version * 0xBF58476D1CE4E5B9L);
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            // Versions stay close to each other, so a query near an id being updated sees old and new rows.
            v[i] = (float) (random.nextDouble() * 2 - 1 + (version == 0 ? 0 : 0.01 * (jitter.nextDouble() - 0.5)));
        }
        return v;
    }

    /** The score the metric gives, in double (the index computes in float: compared with a tolerance). */
    static double expectedScore(Metric metric, float[] query, float[] vector) {
        double dot = 0, qq = 0, vv = 0, d2 = 0;
        for (int i = 0; i < query.length; i++) {
            dot += (double) query[i] * vector[i];
            qq += (double) query[i] * query[i];
            vv += (double) vector[i] * vector[i];
            double d = (double) query[i] - vector[i];
            d2 += d * d;
        }
        return switch (metric) {
            case COSINE -> dot / Math.sqrt(qq * vv);
            case EUCLIDEAN -> -d2;
            default -> dot;
        };
    }

    private static final class Run {
        final VectorIndex index;
        final Supplier<Class<?>> kind;
        final Path dir;
        final AtomicLong clock = new AtomicLong();
        final Set<Long> issued = ConcurrentHashMap.newKeySet();
        final ConcurrentHashMap<Long, Long> addedAt = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, Long> deletedAt = new ConcurrentHashMap<>();
        final Set<Long> updated = ConcurrentHashMap.newKeySet();
        final ConcurrentHashMap<Long, Integer> versions = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean writing = new AtomicBoolean(true);
        volatile long lastUpdated = -1;
        final AtomicLong searches = new AtomicLong();
        final AtomicLong adds = new AtomicLong();
        final AtomicLong deletes = new AtomicLong();
        final AtomicLong updates = new AtomicLong();
        final AtomicLong saves = new AtomicLong();

        Run(VectorIndex index, Supplier<Class<?>> kind, Path dir) {
            this.index = index;
            this.kind = kind;
            this.dir = dir;
        }

        Stats go() throws Exception {
            long deadline = System.nanoTime() + MILLIS * 1_000_000;
            List<Thread> threads = new ArrayList<>();
            List<Set<Long>> liveByWriter = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                Set<Long> live = new HashSet<>();
                liveByWriter.add(live);
                int writer = w;
                threads.add(start("writer-" + w, () -> write(writer, live, deadline)));
            }
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < SEARCHERS; r++) {
                long seed = 1000 + r;
                readers.add(start("searcher-" + r, () -> search(seed)));
            }
            readers.add(start("saver", this::saveAndReload));
            for (Thread t : threads) {
                t.join();
            }
            writing.set(false);
            for (Thread t : readers) {
                t.join();
            }
            if (!failures.isEmpty()) {
                AssertionError error = new AssertionError(failures.size() + " failures during the run, first: "
                        + failures.peek(), failures.peek());
                failures.stream().skip(1).forEach(error::addSuppressed);
                throw error;
            }

            Set<Long> live = new HashSet<>();
            liveByWriter.forEach(live::addAll);
            checkFinal(live);
            return new Stats(searches.get(), adds.get(), deletes.get(), updates.get(), saves.get(), live.size());
        }

        private Thread start(String name, Runnable body) {
            return Thread.ofPlatform().name("stress-" + name).start(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failures.add(t);
                    writing.set(false);
                }
            });
        }

        private void write(int writer, Set<Long> live, long deadline) {
            SplittableRandom random = new SplittableRandom(writer * 31L + 5);
            List<Long> liveList = new ArrayList<>();
            long next = 0;
            while (System.nanoTime() < deadline && writing.get()) {
                int r = random.nextInt(100);
                boolean full = liveList.size() >= LIVE_CAP;
                if (liveList.isEmpty() || (!full && r < 55)) {
                    int batch = r < 2 && index instanceof HnswIndex ? 300 : 1 + random.nextInt(6);
                    long[] ids = new long[batch];
                    float[][] vectors = new float[batch][];
                    for (int i = 0; i < batch; i++) {
                        ids[i] = writer + (long) WRITERS * next++;
                        vectors[i] = vectorOf(ids[i], 0);
                        issued.add(ids[i]);
                        versions.put(ids[i], 0);
                    }
                    if (batch == 1) {
                        index.add(ids[0], vectors[0]);
                    } else {
                        index.addAll(ids, vectors);
                    }
                    long tick = clock.incrementAndGet();
                    for (long id : ids) {
                        addedAt.put(id, tick);
                        liveList.add(id);
                        live.add(id);
                    }
                    adds.addAndGet(batch);
                } else if (r < 92) {
                    long id = liveList.remove(random.nextInt(liveList.size()));
                    live.remove(id);
                    if (!index.delete(id)) {
                        throw new AssertionError("delete of live id " + id + " returned false");
                    }
                    deletedAt.put(id, clock.incrementAndGet());
                    if (index.contains(id)) {
                        throw new AssertionError("deleted id " + id + " still contained");
                    }
                    if (index.delete(id)) {
                        throw new AssertionError("second delete of " + id + " returned true");
                    }
                    deletes.incrementAndGet();
                } else {
                    long id = liveList.get(random.nextInt(liveList.size()));
                    int version = versions.get(id) + 1;
                    updated.add(id);
                    versions.put(id, version);
                    lastUpdated = id; // searchers aim at the id while it is being replaced
                    index.update(id, vectorOf(id, version));
                    updates.incrementAndGet();
                }
            }
        }

        private void search(long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            while (writing.get()) {
                long start = clock.get();
                float[] query;
                int target = random.nextInt(4);
                if (target == 0 && lastUpdated >= 0) {
                    query = vectorOf(lastUpdated, 0);
                } else if (target == 1 && !issued.isEmpty()) {
                    long id = random.nextLong(Math.max(1, start)) % Math.max(1, issued.size());
                    query = vectorOf(id, 0);
                } else {
                    query = vectorOf(-1 - random.nextInt(1_000_000), 0);
                }
                int k = 1 + random.nextInt(12);
                int mode = random.nextInt(4);
                long modulus = 2 + random.nextInt(4);
                List<SearchHit> hits = switch (mode) {
                    case 0 -> index.search(query, k, id -> id % modulus == 0);
                    case 1 -> index instanceof HnswIndex h ? h.search(query, k, k + random.nextInt(64)) : index.search(query, k);
                    default -> index.search(query, k);
                };
                checkHits(query, k, hits, start, mode == 0 ? modulus : 1);
                searches.incrementAndGet();
            }
        }

        private void checkHits(float[] query, int k, List<SearchHit> hits, long start, long modulus) {
            if (hits.size() > k) {
                throw new AssertionError(hits.size() + " hits for k " + k);
            }
            Set<Long> seen = new HashSet<>();
            float previous = Float.POSITIVE_INFINITY;
            for (SearchHit hit : hits) {
                long id = hit.id();
                if (!seen.add(id)) {
                    throw new AssertionError("id " + id + " returned twice: " + hits);
                }
                if (!issued.contains(id)) {
                    throw new AssertionError("id " + id + " was never added: " + hits);
                }
                if (id % modulus != 0) {
                    throw new AssertionError("id " + id + " fails the filter (mod " + modulus + "): " + hits);
                }
                Long deleted = deletedAt.get(id);
                if (deleted != null && deleted <= start) {
                    throw new AssertionError("id " + id + " deleted at tick " + deleted
                            + " returned by a search started at tick " + start);
                }
                if (hit.score() > previous) {
                    throw new AssertionError("hits not best first: " + hits);
                }
                previous = hit.score();
                if (!updated.contains(id)) { // checked after the search: never updated, so version 0
                    double expected = expectedScore(index.metric(), query, vectorOf(id, 0));
                    if (Math.abs(expected - hit.score()) > 1e-4 * Math.max(1, Math.abs(expected))) {
                        throw new AssertionError("id " + id + " scored " + hit.score() + ", its vector gives "
                                + expected);
                    }
                }
            }
        }

        /** Saves while writers run, reloads, and checks the file is a consistent snapshot. */
        private void saveAndReload() {
            try {
                Path file = dir.resolve("stress.index");
                while (writing.get()) {
                    Thread.sleep(150);
                    long before = clock.get();
                    index.save(file);
                    long after = clock.get();
                    VectorIndex loaded = kind.get() == HnswIndex.class ? HnswIndex.load(file) : FlatIndex.load(file);
                    if (loaded instanceof HnswIndex h) {
                        List<String> problems = h.checkInvariants();
                        if (!problems.isEmpty()) {
                            throw new AssertionError("saved graph breaks invariants: " + head(problems));
                        }
                    }
                    for (var e : addedAt.entrySet()) {
                        long id = e.getKey();
                        Long deleted = deletedAt.get(id);
                        boolean surelyIn = e.getValue() <= before && (deleted == null || deleted > after);
                        boolean surelyOut = deleted != null && deleted <= before;
                        if (surelyIn && !loaded.contains(id)) {
                            throw new AssertionError("saved file lacks id " + id + " added at " + e.getValue()
                                    + " before the save (" + before + "-" + after + ")");
                        }
                        if (surelyOut && loaded.contains(id)) {
                            throw new AssertionError("saved file holds id " + id + " deleted at " + deleted
                                    + " before the save (" + before + "-" + after + ")");
                        }
                    }
                    saves.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }

        private void checkFinal(Set<Long> live) {
            assertEquals(live.size(), index.size(), "size");
            if (index instanceof HnswIndex h) {
                List<String> problems = h.checkInvariants();
                assertTrue(problems.isEmpty(), problems.size() + " invariant violations: " + head(problems));
                // Adds of single vectors repair only as the graph grows by an eighth; one more repair must leave
                // every live node reachable and the graph sound.
                int linked = h.repairConnectivity();
                assertEquals(List.of(), h.unreachableIds(), "unreachable after a repair that linked " + linked);
                problems = h.checkInvariants();
                assertTrue(problems.isEmpty(), "after repair: " + problems.size() + " invariant violations: "
                        + head(problems));
            }
            int graphMisses = 0;
            List<Long> missed = new ArrayList<>();
            for (long id : live) {
                float[] own = vectorOf(id, versions.get(id));
                assertTrue(index.contains(id), "live id " + id + " not contained");
                // Exact: the flat index scans everything; on HNSW only this id passes the filter, so the store's
                // scan must return it. Either way with the score of its own vector.
                List<SearchHit> exact = index instanceof HnswIndex ? index.search(own, 1, x -> x == id)
                        : index.search(own, 1);
                assertEquals(1, exact.size(), "exact search for live id " + id);
                assertEquals(id, exact.getFirst().id(), "exact search for live id " + id);
                double self = expectedScore(index.metric(), own, own);
                assertEquals(self, exact.getFirst().score(), 1e-4, "self score of id " + id);
                if (index instanceof HnswIndex h) {
                    List<SearchHit> graph = h.search(own, 1, 200);
                    if (graph.isEmpty() || graph.getFirst().id() != id) {
                        graphMisses++;
                        missed.add(id);
                    }
                }
            }
            if (index instanceof HnswIndex h) {
                // Every live node is reachable (repaired above); a search from a node's own vector can still
                // stop short of it, rarely: the concurrency check is that such misses stay rare.
                List<Long> unreachable = h.unreachableIds();
                System.out.println("[stress] graph misses " + graphMisses + " of " + live.size()
                        + " live ids; unreachable from the entry point: " + unreachable.size());
                assertTrue(graphMisses <= Math.max(2, live.size() / 100), "live ids the graph search (ef 200)"
                        + " does not find from their own vector: " + graphMisses + " of " + live.size() + ", e.g. "
                        + missed.subList(0, Math.min(10, missed.size())) + "; unreachable " + unreachable.size());
            }
            int searched = 0;
            for (long id : deletedAt.keySet()) {
                assertFalse(index.contains(id), "deleted id " + id + " contained");
                if (++searched > 1000) {
                    continue; // every search during the run checked deletes already; a sample suffices here
                }
                float[] own = vectorOf(id, versions.get(id));
                List<SearchHit> hits = index instanceof HnswIndex h ? h.search(own, 5, 200) : index.search(own, 5);
                for (SearchHit hit : hits) {
                    assertTrue(hit.id() != id, "deleted id " + id + " returned after the run");
                }
            }
        }
    }

    static String head(List<String> problems) {
        return String.join("; ", problems.subList(0, Math.min(8, problems.size())));
    }
}
