package dev.bicross.convert.onnx;

/**
 * An ONNX {@code ModelProto}: who produced it, the default-domain opset version, and the graph.
 *
 * @param source          where the bytes came from (file, or jar!/entry), used in error messages
 * @param irVersion       ONNX IR version
 * @param producerName    e.g. {@code pytorch} or {@code onnx.quantize}
 * @param producerVersion producer's version string
 * @param opsetVersion    version of the default ("" / ai.onnx) operator set, or 0 if absent
 * @param graph           the main graph
 */
public record OnnxModel(String source, long irVersion, String producerName, String producerVersion, long opsetVersion,
                        OnnxGraph graph) {
}
