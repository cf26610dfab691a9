package dev.bicross.convert;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bicross.convert.onnx.OnnxAttribute;
import dev.bicross.convert.onnx.OnnxFormatException;
import dev.bicross.convert.onnx.OnnxModel;
import dev.bicross.convert.onnx.OnnxNode;
import dev.bicross.convert.onnx.OnnxReader;
import dev.bicross.convert.onnx.OnnxTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of the ONNX reader: {@link OnnxReader#read(ByteBuffer, String)} on arbitrary bytes, then every
 * tensor's values decoded ({@link OnnxTensor#toFloats()} / {@link OnnxTensor#toLongs()}), then
 * {@link BertRecovery#recover} on the model. The only exceptions allowed are {@link OnnxFormatException} (bytes that
 * are not a well-formed ONNX model or tensor) and {@link ConversionException} (a well-formed model that is not a
 * BERT bicross can convert), each with a message naming the source. Decoded arrays have exactly the element count of
 * the tensor's dimensions, so memory stays bounded by what the file holds.
 */
class OnnxReaderFuzzTest {

    private static final String SOURCE = "fuzz.onnx";

    @FuzzTest
    @Timeout(10)
    void onnx(byte[] bytes) {
        OnnxModel model;
        try {
            model = OnnxReader.read(ByteBuffer.wrap(bytes), SOURCE);
            for (OnnxTensor t : model.graph().initializers().values()) {
                decode(t);
            }
            for (OnnxNode node : model.graph().nodes()) {
                for (OnnxAttribute a : node.attributes().values()) {
                    if (a.t() != null) {
                        decode(a.t());
                    }
                }
            }
            BertRecovery.Result result = BertRecovery.recover(model);
            for (HfTensor t : result.tensors().values()) {
                long n = 1;
                for (long d : t.shape()) {
                    n *= d;
                }
                assertEquals(n, t.data().length, () -> t.name() + " data does not match its shape");
            }
        } catch (OnnxFormatException | ConversionException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "exception without a message");
        }
    }

    private static void decode(OnnxTensor t) throws OnnxFormatException {
        if (t.dataType().isFloatingPoint()) {
            assertEquals(t.elementCount(), t.toFloats().length, t.name());
        } else if (t.dataType() != dev.bicross.convert.onnx.OnnxDataType.STRING) {
            assertEquals(t.elementCount(), t.toLongs().length, t.name());
        }
    }

    /** The synthetic BERT exports of the converter tests, built at test time, in each of their variants. */
    @Test
    void syntheticBertExportsPass() {
        for (TinyBert tiny : variants()) {
            onnx(tiny.build());
        }
    }

    static java.util.List<TinyBert> variants() {
        TinyBert plain = new TinyBert();
        TinyBert floatData = new TinyBert();
        floatData.floatData = true;
        TinyBert fused = new TinyBert();
        fused.fusedLayerNorm = true;
        TinyBert classifier = new TinyBert();
        classifier.classifier = true;
        classifier.prefix = "bert.";
        TinyBert gemm = new TinyBert();
        gemm.gemmFor = "encoder.layer.0.attention.self.query";
        return java.util.List.of(plain, floatData, fused, classifier, gemm);
    }
}
