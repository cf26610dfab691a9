package dev.bicross.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * A searchable set of float vectors, each under a caller-chosen {@code long} id (a database key, a document
 * number...). Ids are unique: adding an id that is present is refused; {@link #update} replaces.
 *
 * <p>Scores follow {@link Metric}: higher is more similar; results are ordered best first. Every mutating call
 * validates all of its input before changing anything, so a call that throws leaves the index as it was.
 * Implementations are thread-safe: searches run concurrently with each other and with adds and deletes.
 */
public interface VectorIndex {

    /** Vector dimension. */
    int dimension();

    /** The metric scores are computed with. */
    Metric metric();

    /** The model that made the vectors, as recorded at creation. */
    IndexMetadata metadata();

    /**
     * Refuses a model other than the one recorded in {@link #metadata()}.
     *
     * @throws ModelMismatchException with a message saying the corpus must be re-indexed
     */
    default void checkModel(String modelName, String modelFingerprint) {
        metadata().checkModel(modelName, modelFingerprint);
    }

    /** Number of ids currently in the index (deleted ids excluded). */
    int size();

    /** Whether {@code id} is in the index. */
    boolean contains(long id);

    /**
     * Adds one vector. The array is copied.
     *
     * @throws IllegalArgumentException on a duplicate id, a wrong dimension, a NaN or infinite component, or a
     *         zero vector under {@link Metric#COSINE}
     */
    void add(long id, float[] vector);

    /**
     * Adds many vectors ({@code ids[i]} for {@code vectors[i]}), possibly in parallel. All-or-nothing: every
     * vector and id is validated before any is added.
     *
     * @throws IllegalArgumentException as {@link #add}, naming the offending position, or if the arrays differ in length
     */
    void addAll(long[] ids, float[][] vectors);

    /** Removes {@code id}; returns whether it was present. A deleted id is never returned by searches. */
    boolean delete(long id);

    /** Replaces the vector of {@code id} (delete + add; adds when absent). Validates before deleting. */
    void update(long id, float[] vector);

    /**
     * The {@code k} ids most similar to {@code query}, best first (fewer if the index holds fewer).
     *
     * @throws IllegalArgumentException if {@code k <= 0} or the query is invalid (as for {@link #add})
     */
    List<SearchHit> search(float[] query, int k);

    /**
     * As {@link #search(float[], int)}, among the ids {@code filter} accepts. The filter is called from the
     * searching thread only.
     */
    List<SearchHit> search(float[] query, int k, LongPredicate filter);

    /**
     * Writes the index to {@code file} atomically: a temporary file in the same directory is written, forced
     * to disk and renamed over {@code file}, so a crash leaves either the old or the new file. Searches may
     * continue meanwhile; mutations wait.
     */
    void save(Path file) throws IOException;
}
