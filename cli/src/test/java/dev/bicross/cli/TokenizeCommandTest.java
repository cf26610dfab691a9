package dev.bicross.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {

    @TempDir
    Path dir;

    private String run(String stdin, StringWriter err, String... args) throws IOException {
        Files.write(dir.resolve("vocab.txt"), List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world",
                "!", "##s"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandLine cl = CliErrors.configure(new CommandLine(
                new TokenizeCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out)));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        all[0] = "--model";
        all[1] = dir.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = cl.execute(all);
        return code + "\n" + out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesOneJsonObjectPerLine() throws IOException {
        String result = run("Hello worlds!\n\n", new StringWriter());
        assertEquals("0\n"
                + "{\"ids\":[2,5,6,8,7,3],\"type_ids\":[0,0,0,0,0,0],"
                + "\"tokens\":[\"[CLS]\",\"hello\",\"world\",\"##s\",\"!\",\"[SEP]\"],"
                + "\"offsets\":[[0,0],[0,5],[6,11],[11,12],[12,13],[0,0]]}\n"
                + "{\"ids\":[2,3],\"type_ids\":[0,0],\"tokens\":[\"[CLS]\",\"[SEP]\"],\"offsets\":[[0,0],[0,0]]}\n",
                result);
    }

    @Test
    void pairsAndMaxLength() throws IOException {
        String result = run("hello\tworld world world\n", new StringWriter(), "--pair", "--max-length", "5");
        assertEquals("0\n{\"ids\":[2,5,3,6,3],\"type_ids\":[0,0,0,1,1],"
                + "\"tokens\":[\"[CLS]\",\"hello\",\"[SEP]\",\"world\",\"[SEP]\"],"
                + "\"offsets\":[[0,0],[0,5],[0,0],[0,5],[0,0]]}\n", result);
    }

    @Test
    void aPairLineWithoutTabIsAOneLineError() throws IOException {
        StringWriter err = new StringWriter();
        String result = run("hello world\n", err, "--pair");
        assertTrue(result.startsWith("1\n"), result);
        assertTrue(err.toString().startsWith("bicross: line 1: --pair expects query<TAB>document"), err.toString());
    }
}
