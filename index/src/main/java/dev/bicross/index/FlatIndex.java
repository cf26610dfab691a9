package dev.bicross.index;

import dev.bicross.index.kernel.DistanceKernels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.LongPredicate;

/**
 * Exact search by scoring every vector (SIMD kernels, split across cores for large indexes). The oracle the
 * HNSW recall tests compare against, and the right choice below a few tens of thousands of vectors.
 * Thread-safe.
 */
public final class FlatIndex implements VectorIndex {

    private final VectorStore store;
    private final IndexMetadata metadata;

    private FlatIndex(VectorStore store, IndexMetadata metadata) {
        this.store = store;
        this.metadata = metadata;
    }

    /** An empty index without a recorded model. */
    public static FlatIndex create(int dimension, Metric metric) {
        return create(IndexMetadata.unrecorded(dimension), metric);
    }

    /** An empty index for vectors of the given model (its dimension is {@code metadata.dimension()}). */
    public static FlatIndex create(IndexMetadata metadata, Metric metric) {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(metric, "metric");
        return new FlatIndex(new VectorStore(metadata.dimension(), metric, DistanceKernels.preferred(), 1024),
                metadata);
    }

    /**
     * Reads an index written by {@link #save}.
     *
     * @throws IndexFormatException naming the file: not an index, another kind, truncated, a checksum or a
     *                              consistency check failed (the only exception for bad contents)
     * @throws IOException          if the file does not exist or cannot be read
     */
    public static FlatIndex load(Path file) throws IOException {
        IndexFile.Contents contents = IndexFile.read(file);
        if (contents.graph() != null) {
            throw new IndexFormatException(file, "holds an HNSW index; open it with HnswIndex.load");
        }
        return new FlatIndex(contents.store(DistanceKernels.preferred()), contents.metadata());
    }

    @Override
    public int dimension() {
        return store.dimension;
    }

    @Override
    public Metric metric() {
        return store.metric;
    }

    @Override
    public IndexMetadata metadata() {
        return metadata;
    }

    @Override
    public int size() {
        return store.size();
    }

    @Override
    public boolean contains(long id) {
        return store.contains(id);
    }

    @Override
    public void add(long id, float[] vector) {
        addAll(new long[] {id}, new float[][] {vector});
    }

    @Override
    public void addAll(long[] ids, float[][] vectors) {
        float[][] prepared = Batch.prepare(store, ids, vectors);
        int first = store.reserve(ids);
        store.ensureCapacity(first + ids.length, capacity -> { });
        store.lock.readLock().lock();
        try {
            for (int i = 0; i < ids.length; i++) {
                store.write(first + i, ids[i], prepared[i]);
                store.markLive(first + i);
            }
        } finally {
            store.lock.readLock().unlock();
        }
    }

    @Override
    public boolean delete(long id) {
        return store.delete(id);
    }

    @Override
    public void update(long id, float[] vector) {
        float[] prepared = store.prepare(vector, "vector for id " + id);
        long nodes = store.reserveReplacement(id);
        int node = (int) nodes;
        int previous = (int) (nodes >> 32);
        store.ensureCapacity(node + 1, capacity -> { });
        store.lock.readLock().lock();
        try {
            store.write(node, id, prepared);
            store.markLive(node);
            if (previous >= 0) {
                store.markDeleted(previous);
            }
        } finally {
            store.lock.readLock().unlock();
        }
    }

    @Override
    public List<SearchHit> search(float[] query, int k) {
        return search(query, k, null);
    }

    @Override
    public List<SearchHit> search(float[] query, int k, LongPredicate filter) {
        Batch.checkK(k);
        return store.exactSearch(store.prepare(query, "query"), k, filter);
    }

    @Override
    public void save(Path file) throws IOException {
        store.lock.writeLock().lock();
        try {
            IndexFile.write(file, metadata, store, null);
        } finally {
            store.lock.writeLock().unlock();
        }
    }
}
