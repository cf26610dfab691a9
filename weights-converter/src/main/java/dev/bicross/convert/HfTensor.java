package dev.bicross.convert;

import java.util.Arrays;

/**
 * One recovered parameter in Hugging Face naming and PyTorch layout ({@code nn.Linear.weight} is [out, in]), with a
 * note of where it came from in the ONNX file.
 *
 * @param name   Hugging Face parameter name, e.g. {@code encoder.layer.0.attention.self.query.weight}
 * @param shape  PyTorch shape
 * @param data   row-major F32 values
 * @param origin how it was obtained, e.g. {@code onnx::MatMul_787 [384, 384] transposed}
 */
public record HfTensor(String name, long[] shape, float[] data, String origin) {

    /** The shape as {@code [a, b]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }
}
