/**
 * A small reader for the ONNX protobuf format: models, graphs, nodes, attributes and tensors, decoded from the wire
 * format by hand ({@link dev.bicross.convert.onnx.OnnxReader}); no protobuf library, no code generation.
 */
package dev.bicross.convert.onnx;
