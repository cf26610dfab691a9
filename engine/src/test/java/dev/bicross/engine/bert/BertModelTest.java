package dev.bicross.engine.bert;

import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.TinyBert;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.kernel.ScalarKernels;
import dev.bicross.engine.kernel.VectorKernels;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forward pass against {@link TinyBert}'s independent double-precision, padded-batch reference. */
class BertModelTest {

    private static final Kernels KERNELS = Kernels.create();
    private static final double TOLERANCE = 2e-5;

    @TempDir
    Path tmp;

    /** Mixed lengths (1 to the model's maximum), random ids and segment ids. */
    private static int[][][] randomBatch(TinyBert bert, long seed, int... lengths) {
        Random random = new Random(seed);
        int[][] ids = new int[lengths.length][];
        int[][] types = new int[lengths.length][];
        for (int s = 0; s < lengths.length; s++) {
            ids[s] = random.ints(lengths[s], 0, bert.vocab).toArray();
            types[s] = random.ints(lengths[s], 0, bert.typeVocab).toArray();
        }
        return new int[][][]{ids, types};
    }

    private static PackedBatch pack(int[][] ids, int[][] types) {
        int[] offsets = new int[ids.length + 1];
        for (int s = 0; s < ids.length; s++) {
            offsets[s + 1] = offsets[s] + ids[s].length;
        }
        int[] flatIds = new int[offsets[ids.length]];
        int[] flatTypes = new int[flatIds.length];
        for (int s = 0; s < ids.length; s++) {
            System.arraycopy(ids[s], 0, flatIds, offsets[s], ids[s].length);
            System.arraycopy(types[s], 0, flatTypes, offsets[s], types[s].length);
        }
        return new PackedBatch(flatIds, flatTypes, offsets);
    }

    /** Max |engine − reference| over all tokens and features of a packed batch. */
    private static double maxDiff(TinyBert bert, float[] hidden, int[][] ids, int[][] types) {
        double[][][] reference = bert.referenceForward(ids, types);
        double max = 0;
        int row = 0;
        for (double[][] sequence : reference) {
            for (double[] token : sequence) {
                for (int j = 0; j < bert.hidden; j++) {
                    max = Math.max(max, Math.abs(hidden[row * bert.hidden + j] - token[j]));
                }
                row++;
            }
        }
        assertEquals(hidden.length, row * bert.hidden, "rows of last_hidden_state");
        return max;
    }

    @Test
    void mixedLengthBatchMatchesPaddedReference() throws IOException {
        TinyBert bert = TinyBert.small(1);
        BertModel model = BertModel.load(bert.write(tmp, "", SafetensorsWriter.Dtype.F32), KERNELS);
        int[][][] batch = randomBatch(bert, 2, 5, 1, 24, 13, 2, 7);
        float[] hidden = model.forward(pack(batch[0], batch[1]));
        double diff = maxDiff(bert, hidden, batch[0], batch[1]);
        System.out.printf("tiny BERT (%s kernels), 6 sequences of mixed length: max |diff| = %.3g%n",
                KERNELS.name(), diff);
        assertTrue(diff < TOLERANCE, "max |diff| " + diff);
    }

    @Test
    void packedBatchEqualsOneByOne() throws IOException {
        TinyBert bert = TinyBert.small(3);
        BertModel model = BertModel.load(bert.write(tmp, "", SafetensorsWriter.Dtype.F32), KERNELS);
        int[][][] batch = randomBatch(bert, 4, 9, 3, 17, 1);
        float[] packed = model.forward(pack(batch[0], batch[1]));
        int row = 0;
        double max = 0;
        for (int s = 0; s < batch[0].length; s++) {
            float[] single = model.forward(pack(new int[][]{batch[0][s]}, new int[][]{batch[1][s]}));
            for (int i = 0; i < single.length; i++) {
                max = Math.max(max, Math.abs(single[i] - packed[row * bert.hidden + i]));
            }
            row += batch[0][s].length;
        }
        System.out.printf("packed batch vs one by one: max |diff| = %.3g%n", max);
        assertTrue(max < 1e-5, "max |diff| " + max);
    }

    @Test
    void concurrentCallsGiveTheSameResultsAsSequentialOnes() throws Exception {
        TinyBert bert = TinyBert.small(11);
        BertModel model = BertModel.load(bert.write(tmp, "", SafetensorsWriter.Dtype.F32), KERNELS);
        int threads = 4;
        PackedBatch[] batches = new PackedBatch[threads];
        float[][] expected = new float[threads][];
        for (int i = 0; i < threads; i++) {
            int[][][] batch = randomBatch(bert, 100 + i, 3 + 5 * i, 24 - 3 * i, 1 + i);
            batches[i] = pack(batch[0], batch[1]);
            expected[i] = model.forward(batches[i]);
        }
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<Boolean>>();
            for (int i = 0; i < threads; i++) {
                int which = i;
                futures.add(pool.submit(() -> {
                    boolean same = true;
                    for (int repeat = 0; repeat < 20; repeat++) {
                        same &= java.util.Arrays.equals(expected[which], model.forward(batches[which]));
                    }
                    return same;
                }));
            }
            for (var f : futures) {
                assertTrue(f.get(), "a concurrent forward pass differed from the sequential one");
            }
        }
    }

    @Test
    void bertPrefixedCheckpointLoadsTheSameWeights() throws IOException {
        TinyBert bert = TinyBert.small(5);
        BertModel plain = BertModel.load(bert.write(tmp.resolve("plain"), "", SafetensorsWriter.Dtype.F32), KERNELS);
        BertModel prefixed = BertModel.load(bert.write(tmp.resolve("prefixed"), "bert.",
                SafetensorsWriter.Dtype.F32), KERNELS);
        int[][][] batch = randomBatch(bert, 6, 8, 4);
        assertArrayEquals(plain.forward(pack(batch[0], batch[1])), prefixed.forward(pack(batch[0], batch[1])));
    }

    @Test
    void halfPrecisionWeightsAreWidenedExactly() throws IOException {
        for (SafetensorsWriter.Dtype dtype : new SafetensorsWriter.Dtype[]{SafetensorsWriter.Dtype.F16,
                SafetensorsWriter.Dtype.BF16}) {
            TinyBert bert = TinyBert.small(7);
            // Round the reference's weights the way the file stores them (to nearest, ties to even).
            for (TinyBert.Tensor t : bert.tensors.values()) {
                float[] v = t.values();
                for (int i = 0; i < v.length; i++) {
                    v[i] = dtype == SafetensorsWriter.Dtype.F16
                            ? Float.float16ToFloat(Float.floatToFloat16(v[i])) : roundToBf16(v[i]);
                }
            }
            BertModel model = BertModel.load(bert.write(tmp.resolve(dtype.name()), "", dtype), KERNELS);
            int[][][] batch = randomBatch(bert, 8, 11, 3);
            double diff = maxDiff(bert, model.forward(pack(batch[0], batch[1])), batch[0], batch[1]);
            System.out.printf("%s weights: max |diff| = %.3g%n", dtype, diff);
            assertTrue(diff < TOLERANCE, dtype + " max |diff| " + diff);
        }
    }

    private static float roundToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }

    @Test
    void sequenceClassifierLogitsMatchReference() throws IOException {
        TinyBert bert = new TinyBert(9, 16, 2, 32, 2, 40, 20, 2, 3);
        BertModel model = BertModel.load(bert.write(tmp, "bert.", SafetensorsWriter.Dtype.F32), KERNELS);
        assertEquals(3, model.config().numLabels());
        int[][][] batch = randomBatch(bert, 10, 6, 20, 2);
        float[][] logits = model.classify(pack(batch[0], batch[1]));
        double[][] reference = bert.referenceLogits(batch[0], batch[1]);
        double max = 0;
        for (int s = 0; s < reference.length; s++) {
            for (int j = 0; j < 3; j++) {
                max = Math.max(max, Math.abs(logits[s][j] - reference[s][j]));
            }
        }
        System.out.printf("classifier logits: max |diff| = %.3g%n", max);
        assertTrue(max < TOLERANCE, "max |diff| " + max);
    }

    /**
     * The [CLS]-only last layer (what classify runs on) gives exactly the first rows of the full forward pass: the
     * same arithmetic per row, on the scalar and the vector kernels, FP32 and INT8, mixed lengths including a
     * one-token sequence and one longer than a row block.
     */
    @Test
    void firstTokensAreBitwiseTheFirstRowsOfTheFullPass() throws IOException {
        TinyBert bert = new TinyBert(9, 32, 2, 64, 2, 40, 80, 2, 3); // head size 16: the in-place head-major path
        Path dir = bert.write(tmp, "bert.", SafetensorsWriter.Dtype.F32);
        int[][][] batch = randomBatch(bert, 12, 6, 1, 70, 2, 13);
        PackedBatch packed = pack(batch[0], batch[1]);
        int h = bert.hidden;
        for (Kernels kernels : new Kernels[] {new ScalarKernels(), new VectorKernels(2)}) {
            for (Precision precision : new Precision[] {Precision.FP32, Precision.INT8}) {
                BertModel model = BertModel.load(dir, kernels, precision);
                float[] all = model.forward(packed);
                float[] first = model.forwardFirstTokens(packed);
                assertEquals(packed.sequenceCount() * h, first.length);
                for (int s = 0; s < packed.sequenceCount(); s++) {
                    float[] expected = Arrays.copyOfRange(all, packed.seqOffsets()[s] * h,
                            (packed.seqOffsets()[s] + 1) * h);
                    float[] actual = Arrays.copyOfRange(first, s * h, (s + 1) * h);
                    assertArrayEquals(expected, actual, 0f, kernels.name() + " " + precision + " sequence " + s);
                }
            }
        }
        BertModel model = BertModel.load(dir, KERNELS);
        var e = assertThrows(IllegalArgumentException.class,
                () -> model.forwardFirstTokens(pack(new int[][]{{1, 2}, {}}, new int[][]{{0, 0}, {}})));
        assertTrue(e.getMessage().contains("sequence 1 is empty"), e.getMessage());
    }

    @Test
    void encoderWithoutHeadRefusesToClassify() throws IOException {
        BertModel model = BertModel.load(TinyBert.small(1).write(tmp, "", SafetensorsWriter.Dtype.F32), KERNELS);
        var e = assertThrows(IllegalStateException.class,
                () -> model.classify(pack(new int[][]{{1, 2}}, new int[][]{{0, 0}})));
        assertTrue(e.getMessage().contains("no classification head"), e.getMessage());
    }

    @Test
    void outOfRangeInputsAreRefusedWithTheValue() throws IOException {
        TinyBert bert = TinyBert.small(1);
        BertModel model = BertModel.load(bert.write(tmp, "", SafetensorsWriter.Dtype.F32), KERNELS);
        var badId = assertThrows(IllegalArgumentException.class,
                () -> model.forward(pack(new int[][]{{1, 50}}, new int[][]{{0, 0}})));
        assertTrue(badId.getMessage().contains("token id 50"), badId.getMessage());
        var badType = assertThrows(IllegalArgumentException.class,
                () -> model.forward(pack(new int[][]{{1, 2}}, new int[][]{{0, 2}})));
        assertTrue(badType.getMessage().contains("type id 2"), badType.getMessage());
        var tooLong = assertThrows(IllegalArgumentException.class,
                () -> model.forward(pack(new int[][]{new int[25]}, new int[][]{new int[25]})));
        assertTrue(tooLong.getMessage().contains("25 tokens"), tooLong.getMessage());
    }

    @Test
    void missingWeightsFileIsNamed() throws IOException {
        TinyBert bert = TinyBert.small(1);
        Files.createDirectories(tmp);
        Files.writeString(tmp.resolve("config.json"), bert.configJson());
        Files.writeString(tmp.resolve("pytorch_model.bin"), "not really");
        var e = assertThrows(ModelFormatException.class, () -> BertModel.load(tmp, KERNELS));
        assertTrue(e.getMessage().contains("model.safetensors: not found"), e.getMessage());
        assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
    }
}
