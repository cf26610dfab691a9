package dev.bicross.engine;

import dev.bicross.engine.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small BERT with seeded random weights, written as a Hugging Face folder, plus an independent reference forward
 * pass: double precision, sequences padded to the longest with an additive attention mask (as Hugging Face runs a
 * batch), so it checks the engine's packing as well as its arithmetic.
 */
public final class TinyBert {

    public final int hidden;
    public final int heads;
    public final int intermediate;
    public final int layers;
    public final int vocab;
    public final int maxPositions;
    public final int typeVocab;
    public final double eps = 1e-12;
    public final int labels;
    /** Tensor name (no prefix) → (shape, values), in Hugging Face order. */
    public final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public record Tensor(long[] shape, float[] values) {
    }

    public TinyBert(long seed, int hidden, int heads, int intermediate, int layers, int vocab, int maxPositions,
                    int typeVocab, int labels) {
        this.hidden = hidden;
        this.heads = heads;
        this.intermediate = intermediate;
        this.layers = layers;
        this.vocab = vocab;
        this.maxPositions = maxPositions;
        this.typeVocab = typeVocab;
        this.labels = labels;
        Random random = new Random(seed);
        add(random, "embeddings.word_embeddings.weight", 1.0, vocab, hidden);
        add(random, "embeddings.position_embeddings.weight", 0.5, maxPositions, hidden);
        add(random, "embeddings.token_type_embeddings.weight", 0.5, typeVocab, hidden);
        addLayerNorm(random, "embeddings.LayerNorm");
        double scale = 1 / Math.sqrt(hidden);
        for (int i = 0; i < layers; i++) {
            String l = "encoder.layer." + i + ".";
            for (String p : List.of("query", "key", "value")) {
                add(random, l + "attention.self." + p + ".weight", 2 * scale, hidden, hidden);
                add(random, l + "attention.self." + p + ".bias", 0.1, hidden);
            }
            add(random, l + "attention.output.dense.weight", scale, hidden, hidden);
            add(random, l + "attention.output.dense.bias", 0.1, hidden);
            addLayerNorm(random, l + "attention.output.LayerNorm");
            add(random, l + "intermediate.dense.weight", 2 * scale, intermediate, hidden);
            add(random, l + "intermediate.dense.bias", 0.1, intermediate);
            add(random, l + "output.dense.weight", 1 / Math.sqrt(intermediate), hidden, intermediate);
            add(random, l + "output.dense.bias", 0.1, hidden);
            addLayerNorm(random, l + "output.LayerNorm");
        }
        if (labels > 0) {
            add(random, "pooler.dense.weight", scale, hidden, hidden);
            add(random, "pooler.dense.bias", 0.1, hidden);
            add(random, "classifier.weight", scale, labels, hidden);
            add(random, "classifier.bias", 0.1, labels);
        }
    }

    /** The default tiny shape: hidden 16, 4 heads, intermediate 40, 2 layers, vocab 50, 24 positions. */
    public static TinyBert small(long seed) {
        return new TinyBert(seed, 16, 4, 40, 2, 50, 24, 2, 0);
    }

    private void add(Random random, String name, double scale, int... dims) {
        long[] shape = Arrays.stream(dims).asLongStream().toArray();
        float[] v = new float[Arrays.stream(dims).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        tensors.put(name, new Tensor(shape, v));
    }

    private void addLayerNorm(Random random, String name) {
        float[] gamma = new float[hidden];
        float[] beta = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            gamma[i] = (float) (1 + 0.2 * random.nextGaussian());
            beta[i] = (float) (0.1 * random.nextGaussian());
        }
        tensors.put(name + ".weight", new Tensor(new long[]{hidden}, gamma));
        tensors.put(name + ".bias", new Tensor(new long[]{hidden}, beta));
    }

    /** config.json text for this model. */
    public String configJson() {
        String arch = labels > 0 ? "BertForSequenceClassification" : "BertModel";
        StringBuilder id2label = new StringBuilder();
        for (int i = 0; i < labels; i++) {
            id2label.append(i == 0 ? "" : ", ").append('"').append(i).append("\": \"L").append(i).append('"');
        }
        return """
                {"architectures": ["%s"], "model_type": "bert", "hidden_size": %d, "num_attention_heads": %d,
                 "intermediate_size": %d, "num_hidden_layers": %d, "vocab_size": %d, "max_position_embeddings": %d,
                 "type_vocab_size": %d, "layer_norm_eps": 1e-12, "hidden_act": "gelu"%s}
                """.formatted(arch, hidden, heads, intermediate, layers, vocab, maxPositions, typeVocab,
                labels > 0 ? ", \"id2label\": {" + id2label + "}" : "");
    }

    /**
     * Writes config.json and model.safetensors into {@code dir}; encoder tensors get {@code prefix}
     * (classifier.* never does, as in Hugging Face).
     */
    public Path write(Path dir, String prefix, SafetensorsWriter.Dtype dtype) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson());
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey().startsWith("classifier.") ? e.getKey() : prefix + e.getKey();
            writer.addFloats(name, dtype, e.getValue().shape(), e.getValue().values());
        }
        writer.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private double[] w(String name) {
        float[] v = tensors.get(name).values();
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /** Reference last_hidden_state per sequence: [sequence][position][feature]. */
    public double[][][] referenceForward(int[][] ids, int[][] typeIds) {
        int batch = ids.length;
        int maxLen = Arrays.stream(ids).mapToInt(a -> a.length).max().orElse(0);
        double[][][] h = new double[batch][maxLen][hidden];
        double[] word = w("embeddings.word_embeddings.weight");
        double[] pos = w("embeddings.position_embeddings.weight");
        double[] type = w("embeddings.token_type_embeddings.weight");
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < maxLen; t++) {
                // padding positions get token 0, type 0, as a padded HF batch would
                int id = t < ids[b].length ? ids[b][t] : 0;
                int ty = t < ids[b].length ? typeIds[b][t] : 0;
                for (int j = 0; j < hidden; j++) {
                    h[b][t][j] = word[id * hidden + j] + pos[t * hidden + j] + type[ty * hidden + j];
                }
                h[b][t] = layerNorm(h[b][t], "embeddings.LayerNorm");
            }
        }
        int d = hidden / heads;
        for (int layer = 0; layer < layers; layer++) {
            String l = "encoder.layer." + layer + ".";
            for (int b = 0; b < batch; b++) {
                double[][] q = new double[maxLen][], k = new double[maxLen][], v = new double[maxLen][];
                for (int t = 0; t < maxLen; t++) {
                    q[t] = dense(h[b][t], l + "attention.self.query");
                    k[t] = dense(h[b][t], l + "attention.self.key");
                    v[t] = dense(h[b][t], l + "attention.self.value");
                }
                double[][] next = new double[maxLen][];
                for (int t = 0; t < maxLen; t++) {
                    double[] context = new double[hidden];
                    for (int head = 0; head < heads; head++) {
                        double[] scores = new double[maxLen];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int u = 0; u < maxLen; u++) {
                            double s = 0;
                            for (int j = 0; j < d; j++) {
                                s += q[t][head * d + j] * k[u][head * d + j];
                            }
                            s /= Math.sqrt(d);
                            if (u >= ids[b].length) {
                                s += -1e30; // additive padding mask
                            }
                            scores[u] = s;
                            max = Math.max(max, s);
                        }
                        double sum = 0;
                        for (int u = 0; u < maxLen; u++) {
                            scores[u] = Math.exp(scores[u] - max);
                            sum += scores[u];
                        }
                        for (int u = 0; u < maxLen; u++) {
                            for (int j = 0; j < d; j++) {
                                context[head * d + j] += scores[u] / sum * v[u][head * d + j];
                            }
                        }
                    }
                    double[] attended = add(h[b][t], dense(context, l + "attention.output.dense"));
                    attended = layerNorm(attended, l + "attention.output.LayerNorm");
                    double[] inner = dense(attended, l + "intermediate.dense");
                    for (int j = 0; j < inner.length; j++) {
                        inner[j] = 0.5 * inner[j] * (1 + erf(inner[j] / Math.sqrt(2)));
                    }
                    next[t] = layerNorm(add(attended, dense(inner, l + "output.dense")), l + "output.LayerNorm");
                }
                h[b] = next;
            }
        }
        double[][][] out = new double[batch][][];
        for (int b = 0; b < batch; b++) {
            out[b] = Arrays.copyOf(h[b], ids[b].length);
        }
        return out;
    }

    /** Reference classifier logits per sequence: classifier(tanh(pooler(h[CLS]))). */
    public double[][] referenceLogits(int[][] ids, int[][] typeIds) {
        double[][][] h = referenceForward(ids, typeIds);
        double[][] logits = new double[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            double[] pooled = dense(h[b][0], "pooler.dense");
            for (int j = 0; j < pooled.length; j++) {
                pooled[j] = Math.tanh(pooled[j]);
            }
            logits[b] = dense(pooled, "classifier");
        }
        return logits;
    }

    private double[] dense(double[] x, String name) {
        double[] weight = w(name + ".weight");
        double[] bias = w(name + ".bias");
        int out = bias.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = bias[o];
            for (int i = 0; i < x.length; i++) {
                s += x[i] * weight[o * x.length + i];
            }
            y[o] = s;
        }
        return y;
    }

    private double[] layerNorm(double[] x, String name) {
        double[] gamma = w(name + ".weight");
        double[] beta = w(name + ".bias");
        double mean = Arrays.stream(x).average().orElse(0);
        double var = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).average().orElse(0);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
        }
        return y;
    }

    private static double[] add(double[] a, double[] b) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] + b[i];
        }
        return c;
    }

    /** erf by its Maclaurin series near 0 and a continued fraction (erfc) in the tails; |error| < 1e-14. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double result;
        if (ax < 2.5) {
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation)
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = (n / 2.0) / (ax + f);
            }
            result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -result : result;
    }
}
