package dev.bicross.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.bicross.tokenizer.BertTokenizer;
import dev.bicross.tokenizer.Encoding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** {@code bicross tokenize}: one text (or {@code query<TAB>document} pair) per stdin line → one JSON line each. */
@Command(name = "tokenize",
        mixinStandardHelpOptions = true,
        description = {"Tokenizes one text per line of standard input and prints one JSON object per line:",
                "ids, type_ids, tokens, offsets ([start, end) in UTF-16 chars of the line; [0, 0] for specials)."})
final class TokenizeCommand implements Callable<Integer> {

    /** The entry of the default model jar (langchain4j's all-MiniLM-L6-v2) that holds its tokenizer.json. */
    static final String DEFAULT_TOKENIZER_ENTRY = "all-minilm-l6-v2-tokenizer.json";

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder with tokenizer.json (or vocab.txt), or the file itself. "
                    + "Default: the all-MiniLM-L6-v2 tokenizer shipped with bicross.")
    Path model;

    @Option(names = "--pair", description = "Each line is query<TAB>document; encodes [CLS] query [SEP] document [SEP].")
    boolean pair;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Truncate to N tokens, special tokens included (default: the tokenizer's own setting, "
                    + "128 for all-MiniLM-L6-v2).")
    Integer maxLength;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    private final InputStream in;
    private final OutputStream out;

    TokenizeCommand() {
        this(System.in, System.out);
    }

    TokenizeCommand(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        if (maxLength != null && maxLength < (pair ? 3 : 2)) {
            throw new IllegalArgumentException("--max-length " + maxLength + " is too small: the special tokens alone need "
                    + (pair ? 3 : 2));
        }
        BertTokenizer tokenizer = loadTokenizer();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
        json.setRootValueSeparator(null);
        String line;
        int lineNumber = 0;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            Encoding e;
            if (pair) {
                int tab = line.indexOf('\t');
                if (tab < 0) {
                    json.flush();
                    throw new IllegalArgumentException("line " + lineNumber + ": --pair expects query<TAB>document, "
                            + "found no tab");
                }
                String a = line.substring(0, tab);
                String b = line.substring(tab + 1);
                e = maxLength == null ? tokenizer.encodePair(a, b) : tokenizer.encodePair(a, b, maxLength);
            } else {
                e = maxLength == null ? tokenizer.encode(line) : tokenizer.encode(line, maxLength);
            }
            write(json, e);
        }
        json.flush();
        return 0;
    }

    private static void write(JsonGenerator json, Encoding e) throws IOException {
        json.writeStartObject();
        json.writeFieldName("ids");
        json.writeArray(e.ids(), 0, e.length());
        json.writeFieldName("type_ids");
        json.writeArray(e.typeIds(), 0, e.length());
        json.writeFieldName("tokens");
        json.writeArray(e.tokens(), 0, e.length());
        json.writeFieldName("offsets");
        json.writeStartArray();
        for (int[] o : e.offsets()) {
            json.writeArray(o, 0, 2);
        }
        json.writeEndArray();
        json.writeEndObject();
        json.writeRaw('\n');
    }

    private BertTokenizer loadTokenizer() throws IOException {
        if (model != null) {
            return BertTokenizer.load(model);
        }
        String jar = System.getProperty("bicross.defaultModelJar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IOException("no --model given and the default model jar is missing ("
                    + (jar == null ? "system property bicross.defaultModelJar is not set" : jar)
                    + "); run ./bicross from the repository, or pass --model DIR");
        }
        try (ZipFile zip = new ZipFile(jar)) {
            ZipEntry entry = zip.getEntry(DEFAULT_TOKENIZER_ENTRY);
            if (entry == null) {
                throw new IOException(jar + ": has no " + DEFAULT_TOKENIZER_ENTRY);
            }
            try (InputStream json = zip.getInputStream(entry)) {
                return BertTokenizer.fromTokenizerJson(json, jar + "!/" + DEFAULT_TOKENIZER_ENTRY);
            }
        }
    }
}
