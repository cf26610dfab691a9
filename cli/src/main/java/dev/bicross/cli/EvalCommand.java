package dev.bicross.cli;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.retrieval.IndexingStats;
import dev.bicross.retrieval.Retriever;
import dev.bicross.retrieval.corpus.TestCollection;
import dev.bicross.retrieval.eval.Evaluator;
import dev.bicross.retrieval.eval.MetricSummary;
import dev.bicross.retrieval.eval.StageReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bicross eval}: indexes a BEIR test collection and scores each stage. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Indexes a BEIR test collection (corpus.jsonl[.gz], queries.jsonl, qrels.tsv), runs its judged "
                + "queries one at a time and prints nDCG@10, MRR@10, Recall@100, MAP@100, queries/s and p50/p95 "
                + "latency per stage."})
final class EvalCommand implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", arity = "1..*", description = "BEIR collection folder(s).")
    List<Path> collections;

    @Option(names = {"-n", "--candidates"}, paramLabel = "N", defaultValue = "100",
            description = "Candidates re-ranked by the cross-encoder (default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--no-rerank", description = "Stage 1 only.")
    boolean noRerank;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME", description = "Bi-encoder (default: all-MiniLM-L6-v2).")
    String model;

    @Option(names = "--cross-model", paramLabel = "DIR|ORG/NAME",
            description = "Cross-encoder (default: " + ModelChoice.DEFAULT_CROSS_ENCODER + ").")
    String crossModel;

    @Option(names = "--json", description = "One JSON object per collection and stage.")
    boolean json;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        if (candidates < 10) {
            throw new IllegalArgumentException("--candidates must be at least 10 (nDCG@10 needs 10 documents), got "
                    + candidates);
        }
        // Read every collection first: a missing or malformed file fails at once, not after the models load.
        List<TestCollection> loaded = new ArrayList<>();
        for (Path dir : collections) {
            loaded.add(TestCollection.load(dir));
        }
        BiEncoder biEncoder = BiEncoder.load(ModelChoice.biEncoder(model), precision.get());
        System.err.println("bicross eval: encoders at " + precision.get().id());
        CrossEncoder crossEncoder = noRerank ? null : ModelChoice.crossEncoder(crossModel, System.err, precision.get()).orElse(null);
        List<String> rows = new ArrayList<>();
        for (TestCollection c : loaded) {
            Retriever retriever = Retriever.builder(biEncoder).crossEncoder(crossEncoder).build();
            IndexingStats indexing = retriever.addAll(c.documents(), new ProgressBar(c.name() + " indexing"));
            System.err.printf(Locale.ROOT, "%s: %d documents, %d passages, %.1f docs/s, %.0f tokens/s%n", c.name(),
                    indexing.documents(), indexing.passages(), indexing.documentsPerSecond(), indexing.tokensPerSecond());
            List<StageReport> reports = new ArrayList<>();
            reports.add(Evaluator.biEncoder(retriever, c.queries(), c.qrels(), new ProgressBar(c.name() + " queries")));
            if (crossEncoder != null) {
                reports.add(Evaluator.reranked(retriever, c.queries(), c.qrels(), candidates,
                        new ProgressBar(c.name() + " re-ranking")));
            }
            for (StageReport r : reports) {
                rows.add(json ? json(c.name(), r) : row(c.name(), r));
                if (json) {
                    System.out.println(rows.getLast());
                }
            }
        }
        if (!json) {
            System.out.printf("%-12s %-27s %4s %8s %7s %7s %8s %8s %7s %7s%n", "collection", "stage", "N", "nDCG@10",
                    "MRR@10", "R@100", "MAP@100", "q/s", "p50 ms", "p95 ms");
            rows.forEach(System.out::println);
        }
        return 0;
    }

    private static String row(String name, StageReport r) {
        MetricSummary m = r.metrics();
        return String.format(Locale.ROOT, "%-12s %-27s %4d %8.3f %7.3f %7.3f %8.3f %8.1f %7.1f %7.1f", name, r.stage(),
                r.candidates(), m.ndcg10(), m.mrr10(), m.recall100(), m.map100(), r.queriesPerSecond(), r.p50Millis(),
                r.p95Millis());
    }

    private static String json(String name, StageReport r) {
        MetricSummary m = r.metrics();
        return String.format(Locale.ROOT, "{\"collection\":%s,\"stage\":%s,\"candidates\":%d,\"queries\":%d,"
                        + "\"ndcg@10\":%.4f,\"mrr@10\":%.4f,\"recall@100\":%.4f,\"map@100\":%.4f,"
                        + "\"queries_per_second\":%.2f,\"p50_ms\":%.2f,\"p95_ms\":%.2f}", Json.quote(name),
                Json.quote(r.stage()), r.candidates(), m.queries(), m.ndcg10(), m.mrr10(), m.recall100(), m.map100(),
                r.queriesPerSecond(), r.p50Millis(), r.p95Millis());
    }
}
