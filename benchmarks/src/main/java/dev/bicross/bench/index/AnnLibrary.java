package dev.bicross.bench.index;

import dev.bicross.index.HnswIndex;
import dev.bicross.index.Metric;
import dev.bicross.index.SearchHit;
import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.ImmutableGraphIndex;
import io.github.jbellis.jvector.graph.ListRandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;
import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.HnswGraphSearcher;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One ANN library behind a common face: build over the corpus with M and efConstruction, then search top-k
 * with a beam of {@code ef}, returning ordinals. All use dot product on the same normalised vectors.
 */
sealed interface AnnLibrary permits AnnLibrary.Bicross, AnnLibrary.Lucene, AnnLibrary.JVector {

    int M = 16;
    /** 200 for every comparison; {@code -Dbicross.ann.efConstruction=N} lowers it for the 1M-vector memory run. */
    int EF_CONSTRUCTION = Integer.getInteger("bicross.ann.efConstruction", 200);

    String name();

    void build(AnnCorpus corpus);

    int[] search(float[] query, int k, int ef);

    /** Heap bytes of vectors plus graph, as the library reports them (or computed from its arrays). */
    long bytes();

    static AnnLibrary of(String name, int threads) {
        return switch (name) {
            case "bicross" -> new Bicross(threads);
            case "lucene" -> new Lucene();
            case "jvector" -> new JVector();
            default -> throw new IllegalArgumentException("unknown library " + name);
        };
    }

    /** Ours: M 16 (level 0: 32 links), efConstruction 200. */
    final class Bicross implements AnnLibrary {
        private final int threads;
        private HnswIndex index;

        Bicross(int threads) {
            this.threads = threads;
        }

        HnswIndex index() {
            return index;
        }

        @Override
        public String name() {
            return "bicross(" + threads + "t)";
        }

        @Override
        public void build(AnnCorpus corpus) {
            index = HnswIndex.builder(corpus.dimension, Metric.DOT_PRODUCT).m(M).efConstruction(EF_CONSTRUCTION)
                    .buildThreads(threads).initialCapacity(corpus.vectors.length).build();
            long[] ids = new long[corpus.vectors.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i;
            }
            index.addAll(ids, corpus.vectors);
        }

        @Override
        public int[] search(float[] query, int k, int ef) {
            List<SearchHit> hits = index.search(query, k, ef);
            int[] out = new int[hits.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) hits.get(i).id();
            }
            return out;
        }

        @Override
        public long bytes() {
            return index.ramBytesUsed();
        }
    }

    /** Lucene 10 HnswGraphBuilder (single-threaded) over an in-memory FloatVectorValues; maxConn 16 (32 on level 0). */
    final class Lucene implements AnnLibrary {
        private FloatVectorValues values;
        private OnHeapHnswGraph graph;
        private int dimension;

        @Override
        public String name() {
            return "lucene";
        }

        @Override
        public void build(AnnCorpus corpus) {
            try {
                dimension = corpus.dimension;
                values = FloatVectorValues.fromFloats(Arrays.asList(corpus.vectors), corpus.dimension);
                var supplier = DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorerSupplier(
                        VectorSimilarityFunction.DOT_PRODUCT, values);
                graph = HnswGraphBuilder.create(supplier, M, EF_CONSTRUCTION, 42).build(corpus.vectors.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public int[] search(float[] query, int k, int ef) {
            try {
                var scorer = DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(
                        VectorSimilarityFunction.DOT_PRODUCT, values, query);
                TopKnnCollector collector = new TopKnnCollector(ef, Integer.MAX_VALUE);
                HnswGraphSearcher.search(scorer, collector, graph, null);
                ScoreDoc[] docs = collector.topDocs().scoreDocs;
                int[] out = new int[Math.min(k, docs.length)];
                for (int i = 0; i < out.length; i++) {
                    out[i] = docs[i].doc;
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public long bytes() {
            return graph.ramBytesUsed() + (long) graph.size() * (4L * dimension + 16);
        }
    }

    /**
     * JVector 4 GraphIndexBuilder (its own ForkJoinPool, all cores); max degree 32 = our level-0 degree 2M,
     * beam 200, neighbour overflow 1.2, alpha 1.2 (its defaults), hierarchy on.
     */
    final class JVector implements AnnLibrary {
        private static final VectorTypeSupport VTS = VectorizationProvider.getInstance().getVectorTypeSupport();
        private ListRandomAccessVectorValues values;
        private ImmutableGraphIndex graph;
        private final ThreadLocal<GraphSearcher> searchers = new ThreadLocal<>();
        private int dimension;

        @Override
        public String name() {
            return "jvector";
        }

        @Override
        public void build(AnnCorpus corpus) {
            dimension = corpus.dimension;
            List<VectorFloat<?>> list = new ArrayList<>(corpus.vectors.length);
            for (float[] v : corpus.vectors) {
                list.add(VTS.createFloatVector(v));
            }
            values = new ListRandomAccessVectorValues(list, corpus.dimension);
            try (GraphIndexBuilder builder = new GraphIndexBuilder(values,
                    io.github.jbellis.jvector.vector.VectorSimilarityFunction.DOT_PRODUCT, 2 * M, EF_CONSTRUCTION,
                    1.2f, 1.2f, true)) {
                graph = builder.build(values);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public int[] search(float[] query, int k, int ef) {
            GraphSearcher searcher = searchers.get();
            if (searcher == null) {
                searcher = new GraphSearcher(graph);
                searchers.set(searcher);
            }
            var provider = DefaultSearchScoreProvider.exact(VTS.createFloatVector(query),
                    io.github.jbellis.jvector.vector.VectorSimilarityFunction.DOT_PRODUCT, values);
            SearchResult result = searcher.search(provider, k, ef, 0f, 0f, Bits.ALL);
            SearchResult.NodeScore[] nodes = result.getNodes();
            int[] out = new int[nodes.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = nodes[i].node;
            }
            return out;
        }

        @Override
        public long bytes() {
            return graph.ramBytesUsed() + (long) values.size() * (4L * dimension + 16);
        }
    }
}
