package dev.bicross.tokenizer;

/**
 * Lenient UTF-8 decoding for fuzz inputs: well-formed sequences decode as usual, three-byte encodings of surrogates
 * decode to those (possibly lone) surrogates, and any other malformed byte becomes U+FFFD. Every Java string is the
 * decoding of some byte string, which plain UTF-8 cannot say of strings with lone surrogates.
 */
final class Wtf8 {

    private Wtf8() {
    }

    static String decode(byte[] bytes, int from, int to) {
        StringBuilder out = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int b0 = bytes[i] & 0xff;
            int need = b0 < 0x80 ? 0 : b0 >= 0xc2 && b0 < 0xe0 ? 1 : b0 >= 0xe0 && b0 < 0xf0 ? 2
                    : b0 >= 0xf0 && b0 < 0xf5 ? 3 : -1;
            int cp = need <= 0 ? b0 : b0 & (0x3f >> need);
            boolean ok = need >= 0 && i + need < to;
            for (int k = 1; ok && k <= need; k++) {
                int b = bytes[i + k] & 0xff;
                ok = (b & 0xc0) == 0x80;
                cp = (cp << 6) | (b & 0x3f);
            }
            int min = need == 1 ? 0x80 : need == 2 ? 0x800 : need == 3 ? 0x10000 : 0;
            if (!ok || cp < min || cp > 0x10FFFF) {
                out.append('\uFFFD');
                i++;
            } else {
                out.appendCodePoint(cp);
                i += need + 1;
            }
        }
        return out.toString();
    }
}
