package dev.bicross.retrieval.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * An IR test collection in BEIR layout: {@code corpus.jsonl[.gz]}, {@code queries.jsonl}, {@code qrels.tsv}.
 * Only the queries that have relevant judgements are kept, as BEIR evaluates them.
 */
public record TestCollection(String name, List<Document> documents, List<Query> queries, Qrels qrels) {

    /** Loads the collection in {@code dir}; the name is the folder's name. */
    public static TestCollection load(Path dir) throws IOException {
        Path corpus = Corpora.beirCorpusFile(dir);
        if (corpus == null) {
            throw new NoSuchFileException(dir.resolve("corpus.jsonl").toString(), null,
                    "not a BEIR folder: no corpus.jsonl or corpus.jsonl.gz");
        }
        Path queriesFile = require(dir.resolve("queries.jsonl"));
        Path qrelsFile = require(dir.resolve("qrels.tsv"));
        Qrels qrels = Corpora.readQrels(qrelsFile);
        List<Query> judged = Corpora.readQueries(queriesFile).stream()
                .filter(q -> qrels.hasRelevant(q.id()))
                .toList();
        return new TestCollection(dir.getFileName().toString(), Corpora.readJsonl(corpus), judged, qrels);
    }

    private static Path require(Path file) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing from the BEIR folder");
        }
        return file;
    }
}
