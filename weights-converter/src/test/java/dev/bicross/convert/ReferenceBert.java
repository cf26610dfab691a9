package dev.bicross.convert;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A deliberately plain float64 BERT forward pass (one sequence, no batching) over a converted folder's tensors, used
 * only to check that the conversion preserved the model: names, orientations, epsilon and heads all have to be right
 * for its embeddings to match ONNX Runtime's. Follows the equations in docs/ARCHITECTURE.md.
 */
final class ReferenceBert {

    private final SafetensorsFile weights;
    private final int hidden;
    private final int heads;
    private final int layers;
    private final double eps;
    private final java.util.Map<String, float[]> cache = new java.util.HashMap<>();

    ReferenceBert(SafetensorsFile weights, JsonNode config) {
        this.weights = weights;
        this.hidden = config.get("hidden_size").asInt();
        this.heads = config.get("num_attention_heads").asInt();
        this.layers = config.get("num_hidden_layers").asInt();
        this.eps = config.get("layer_norm_eps").asDouble();
    }

    /** Mean-pooled, L2-normalised sentence embedding of one tokenized text (all tokens attended, type ids 0). */
    double[] embed(int[] ids) {
        int t = ids.length;
        float[] word = tensor("embeddings.word_embeddings.weight");
        float[] pos = tensor("embeddings.position_embeddings.weight");
        float[] type = tensor("embeddings.token_type_embeddings.weight");
        double[][] h = new double[t][hidden];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < hidden; j++) {
                h[i][j] = word[ids[i] * hidden + j] + pos[i * hidden + j] + type[j];
            }
        }
        h = layerNorm(h, "embeddings.LayerNorm");
        int d = hidden / heads;
        for (int l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            double[][] q = linear(h, p + "attention.self.query");
            double[][] k = linear(h, p + "attention.self.key");
            double[][] v = linear(h, p + "attention.self.value");
            double[][] ctx = new double[t][hidden];
            for (int head = 0; head < heads; head++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += q[i][head * d + c] * k[j][head * d + c];
                        }
                        s[j] = dot / Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < t; j++) {
                        for (int c = 0; c < d; c++) {
                            ctx[i][head * d + c] += s[j] / sum * v[j][head * d + c];
                        }
                    }
                }
            }
            h = layerNorm(add(h, linear(ctx, p + "attention.output.dense")), p + "attention.output.LayerNorm");
            double[][] f = linear(h, p + "intermediate.dense");
            for (double[] row : f) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = 0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2)));
                }
            }
            h = layerNorm(add(h, linear(f, p + "output.dense")), p + "output.LayerNorm");
        }
        double[] e = new double[hidden];
        for (double[] row : h) {
            for (int j = 0; j < hidden; j++) {
                e[j] += row[j] / t;
            }
        }
        double norm = 0;
        for (double x : e) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        for (int j = 0; j < hidden; j++) {
            e[j] /= norm;
        }
        return e;
    }

    private float[] tensor(String name) {
        return cache.computeIfAbsent(name, weights::floats);
    }

    /** x · Wᵀ + b with W stored [out, in] as in PyTorch. */
    private double[][] linear(double[][] x, String module) {
        float[] w = tensor(module + ".weight");
        float[] b = tensor(module + ".bias");
        int out = b.length;
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int c = 0; c < in; c++) {
                    acc += x[i][c] * w[o * in + c];
                }
                y[i][o] = acc;
            }
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, String module) {
        float[] g = tensor(module + ".weight");
        float[] b = tensor(module + ".bias");
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (double v : x[i]) {
                mean += v / x[i].length;
            }
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean) / x[i].length;
            }
            y[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                y[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                y[i][j] = a[i][j] + b[i][j];
            }
        }
        return y;
    }

    /** erf to ~1e-15 via the complementary error function's continued-fraction-free series (Abramowitz–Stegun 7.1.26 is too coarse). */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // Asymptotic continued fraction for erfc, accurate for x >= 2.5.
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (ax + f);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}
