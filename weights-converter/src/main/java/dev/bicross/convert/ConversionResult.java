package dev.bicross.convert;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a conversion produced.
 *
 * @param folder           the finished Hugging Face model folder
 * @param tensorCount      tensors in {@code model.safetensors}
 * @param safetensorsBytes size of {@code model.safetensors}
 * @param config           the derived {@code config.json} values
 * @param recoveredNames   anonymous ONNX weight → recovered HF name, for the weights that had to be renamed
 * @param files            files written, relative to the folder
 * @param notes            things worth telling the user (skipped buffers, missing tokenizer, ...)
 */
public record ConversionResult(Path folder, int tensorCount, long safetensorsBytes, BertConfig config,
                               Map<String, String> recoveredNames, List<String> files, List<String> notes) {
}
