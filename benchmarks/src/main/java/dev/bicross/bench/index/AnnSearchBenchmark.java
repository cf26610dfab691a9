package dev.bicross.bench.index;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Queries/s at matched recall: each library is built on the same corpus with M 16 and efConstruction 200, then
 * its ef is calibrated (outside the timing) to the smallest value reaching the target recall@10; the benchmark
 * runs single-threaded top-10 searches cycling through the query set.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar AnnSearchBenchmark \
 *   -p vectors=20000 -f 1 -wi 3 -i 5</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx8g"})
public class AnnSearchBenchmark {

    @Param({"bicross", "lucene", "jvector"})
    public String library;

    @Param({"0.95", "0.99"})
    public double targetRecall;

    @Param({"20000"})
    public int vectors;

    private AnnCorpus corpus;
    private AnnLibrary ann;
    private int ef;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        corpus = new AnnCorpus(vectors, 384, 500, 42);
        ann = AnnLibrary.of(library, Runtime.getRuntime().availableProcessors());
        ann.build(corpus);
        ef = EfCalibration.efFor(ann, corpus, targetRecall);
        System.out.printf(Locale.ROOT, "%n%s: ef %d gives recall@10 %.4f (target %.2f), %.0f bytes/vector%n",
                ann.name(), ef, EfCalibration.recall(ann, corpus, ef), targetRecall, (double) ann.bytes() / vectors);
    }

    @Benchmark
    public int[] search() {
        float[] q = corpus.queries[next];
        next = next + 1 == corpus.queries.length ? 0 : next + 1;
        return ann.search(q, AnnCorpus.K, ef);
    }
}
