/**
 * Vector search for bicross: exact ({@link dev.bicross.index.FlatIndex}) and approximate
 * ({@link dev.bicross.index.HnswIndex}) nearest-neighbour search over float vectors, JDK only.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li><b>Ids</b> are the caller's {@code long}s (database keys, document numbers); each id is in an index at
 *       most once. Internally vectors are dense {@code int} nodes; the mapping never leaks out.</li>
 *   <li><b>Scores</b>: higher is more similar, for every {@link dev.bicross.index.Metric}; results come best
 *       first, ties to the earlier-added vector. Cosine normalises on the way in; Euclidean reports −‖a−b‖².</li>
 *   <li><b>Errors</b>: invalid input (wrong dimension, NaN/∞, zero vector under cosine, duplicate id, k ≤ 0,
 *       ef &lt; k) throws {@link java.lang.IllegalArgumentException} naming the value, before anything
 *       changes. Unreadable files throw {@link dev.bicross.index.IndexFormatException} naming the file and
 *       the problem; a different model throws {@link dev.bicross.index.ModelMismatchException}.</li>
 *   <li><b>Threads</b>: indexes are thread-safe; searches take no lock and run during adds and deletes.</li>
 *   <li><b>Files</b>: one versioned little-endian file with a CRC32C per section, written atomically
 *       (see {@code IndexFile} for the layout). Results after {@code load} are bit-identical.</li>
 *   <li><b>SIMD</b>: distance kernels use the Vector API when {@code jdk.incubator.vector} is present, with
 *       scalar twins ({@link dev.bicross.index.kernel.DistanceKernels}); lane sums are in a fixed order so a
 *       score has the same bits in every JIT state.</li>
 * </ul>
 */
package dev.bicross.index;
