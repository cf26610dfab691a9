/**
 * ONNX → Hugging Face model folder conversion ({@link dev.bicross.convert.OnnxConverter}), the recovery of HF names,
 * layouts and config from an exported BERT graph ({@link dev.bicross.convert.BertRecovery}), and the bootstrap of the
 * default models into the local cache ({@link dev.bicross.convert.DefaultModels}).
 */
package dev.bicross.convert;
