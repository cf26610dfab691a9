package dev.bicross.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bicross.engine.safetensors.SafetensorsFile;
import dev.bicross.engine.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Test cross-encoders with a real vocabulary: the converted all-MiniLM-L6-v2 weights under {@code bert.} plus a
 * seeded random pooler and classifier, written as a Hugging Face {@code BertForSequenceClassification} folder. No
 * relevance-trained cross-encoder can be fetched here, so their scores are meaningless: use them to test plumbing
 * (order follows scores, k and N respected) and exactness against a reference that has the same head, not quality.
 * Shared with other modules through this module's test-jar.
 */
public final class TestCrossEncoders {

    /** Hidden size of all-MiniLM-L6-v2. */
    public static final int HIDDEN = 384;

    private TestCrossEncoders() {
    }

    /**
     * Seeded random head weights in Hugging Face orientation ({@code [out, in]}).
     *
     * @param labels           {@code num_labels}
     * @param poolerWeight     {@code bert.pooler.dense.weight}, HIDDEN × HIDDEN
     * @param poolerBias       {@code bert.pooler.dense.bias}
     * @param classifierWeight {@code classifier.weight}, labels × HIDDEN
     * @param classifierBias   {@code classifier.bias}
     */
    public record Head(int labels, float[] poolerWeight, float[] poolerBias, float[] classifierWeight,
                       float[] classifierBias) {

        /** A head with Gaussian weights (σ 0.05 for the pooler, 0.1 for the classifier) from {@code seed}. */
        public static Head random(int labels, long seed) {
            Random r = new Random(seed);
            return new Head(labels, gaussian(r, HIDDEN * HIDDEN, 0.05), gaussian(r, HIDDEN, 0.05),
                    gaussian(r, labels * HIDDEN, 0.1), gaussian(r, labels, 0.1));
        }

        private static float[] gaussian(Random r, int n, double scale) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (r.nextGaussian() * scale);
            }
            return v;
        }
    }

    /**
     * Writes {@code folder} (created if needed): model.safetensors with the bi-encoder's tensors renamed
     * {@code bert.*} plus the head, config.json (the bi-encoder's, with architecture
     * BertForSequenceClassification, id2label/label2id for {@code head.labels()} labels and the sentence-transformers
     * activation Identity, i.e. raw logits like ms-marco cross-encoders) and the bi-encoder's tokenizer.json.
     *
     * @param biEncoderFolder a converted all-MiniLM-L6-v2 folder (e.g. {@link DefaultModels#biEncoder()})
     * @return {@code folder}
     */
    public static Path write(Path biEncoderFolder, Head head, Path folder) throws IOException {
        Files.createDirectories(folder);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile bi = SafetensorsFile.open(biEncoderFolder.resolve("model.safetensors"))) {
            for (String name : bi.names()) {
                writer.addF32("bert." + name, bi.info(name).orElseThrow().shape(), bi.readFloats(name));
            }
        }
        writer.addF32("bert.pooler.dense.weight", new long[]{HIDDEN, HIDDEN}, head.poolerWeight());
        writer.addF32("bert.pooler.dense.bias", new long[]{HIDDEN}, head.poolerBias());
        writer.addF32("classifier.weight", new long[]{head.labels(), HIDDEN}, head.classifierWeight());
        writer.addF32("classifier.bias", new long[]{head.labels()}, head.classifierBias());
        writer.write(folder.resolve("model.safetensors"));

        ObjectMapper mapper = new ObjectMapper();
        ObjectNode config = (ObjectNode) mapper.readTree(biEncoderFolder.resolve("config.json").toFile());
        config.putArray("architectures").add("BertForSequenceClassification");
        ObjectNode id2label = config.putObject("id2label");
        ObjectNode label2id = config.putObject("label2id");
        for (int i = 0; i < head.labels(); i++) {
            id2label.put(String.valueOf(i), "LABEL_" + i);
            label2id.put("LABEL_" + i, i);
        }
        config.putObject("sentence_transformers").put("activation_fn", "torch.nn.modules.linear.Identity");
        mapper.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("config.json").toFile(), config);
        Files.copy(biEncoderFolder.resolve("tokenizer.json"), folder.resolve("tokenizer.json"));
        return folder;
    }

    /**
     * Lays a model folder out in a Hugging Face hub cache as Python's {@code huggingface_hub} would (without the
     * blob store): {@code <hubCache>/models--org--name/refs/main} holding {@code commit}, and the files under
     * {@code snapshots/<commit>/}. Point {@code HF_HUB_CACHE} at {@code hubCache} to resolve {@code repoId} offline.
     *
     * @param repoId {@code org/name}
     * @param commit 40 hex digits
     * @return the snapshot folder
     */
    public static Path installInHubCache(Path modelFolder, Path hubCache, String repoId, String commit)
            throws IOException {
        Path repo = hubCache.resolve("models--" + repoId.replace("/", "--"));
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        Files.createDirectories(snapshot);
        for (String file : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(modelFolder.resolve(file), snapshot.resolve(file));
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve("main"), commit, StandardCharsets.UTF_8);
        return snapshot;
    }
}
