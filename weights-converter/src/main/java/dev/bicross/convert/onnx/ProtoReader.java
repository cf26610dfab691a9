package dev.bicross.convert.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over protobuf wire-format bytes: just enough to walk the ONNX messages. Each message is read by looping
 * {@link #next()} and dispatching on {@link #field()}; nested messages are read through {@link #message()}, which
 * returns a reader over the nested bytes without copying them.
 *
 * <p>Positions in error messages are absolute offsets in the file, so a truncation can be located with a hex dump.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final String source;
    private final ByteBuffer buf;
    /** Absolute offset of {@code buf}'s position 0 in the file, for error messages. */
    private final long base;
    private final String context;
    private int field;
    private int wireType;

    ProtoReader(String source, ByteBuffer bytes, long base, String context) {
        this.source = source;
        this.buf = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.base = base;
        this.context = context;
    }

    /** Advances to the next field; returns false at the end of the message. */
    boolean next() throws OnnxFormatException {
        if (!buf.hasRemaining()) {
            return false;
        }
        long at = offset();
        long key = varint();
        int f = (int) (key >>> 3);
        int wt = (int) (key & 7);
        if (f <= 0 || key >>> 3 > 0x1FFF_FFFF) {
            throw error(at, "invalid field number " + (key >>> 3));
        }
        if (wt != VARINT && wt != FIXED64 && wt != LENGTH_DELIMITED && wt != FIXED32) {
            throw error(at, "unsupported protobuf wire type " + wt + " for field " + f);
        }
        field = f;
        wireType = wt;
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    /** Fails unless the current field has the given wire type; {@code what} names the field for the message. */
    void expect(int expectedWireType, String what) throws OnnxFormatException {
        if (wireType != expectedWireType) {
            throw error(offset(), what + " (field " + field + ") has wire type " + wireType + ", expected " + expectedWireType);
        }
    }

    long varint() throws OnnxFormatException {
        long at = offset();
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) {
                throw error(at, "truncated varint");
            }
            byte b = buf.get();
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw error(at, "varint longer than 10 bytes");
    }

    int fixed32() throws OnnxFormatException {
        need(4, "fixed32");
        return buf.getInt();
    }

    long fixed64() throws OnnxFormatException {
        need(8, "fixed64");
        return buf.getLong();
    }

    /** The payload of a length-delimited field, as a little-endian slice sharing the underlying bytes. */
    ByteBuffer bytes() throws OnnxFormatException {
        long at = offset();
        long len = varint();
        if (len < 0 || len > buf.remaining()) {
            throw error(at, "length " + len + " runs past the end (" + buf.remaining() + " bytes left): file truncated?");
        }
        ByteBuffer out = buf.slice(buf.position(), (int) len).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + (int) len);
        return out;
    }

    String string() throws OnnxFormatException {
        ByteBuffer b = bytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    /** A reader over the nested message in the current length-delimited field. */
    ProtoReader message(String nestedContext) throws OnnxFormatException {
        long at = offset();
        long len = varint();
        long start = offset();
        if (len < 0 || len > buf.remaining()) {
            throw error(at, nestedContext + " of " + len + " bytes runs past the end (" + buf.remaining()
                    + " bytes left): file truncated?");
        }
        ByteBuffer nested = buf.slice(buf.position(), (int) len);
        buf.position(buf.position() + (int) len);
        return new ProtoReader(source, nested, start, nestedContext);
    }

    /** Skips the current field's payload. */
    void skip() throws OnnxFormatException {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> fixed64();
            case FIXED32 -> fixed32();
            case LENGTH_DELIMITED -> bytes();
            default -> throw error(offset(), "cannot skip wire type " + wireType);
        }
    }

    /** Reads a repeated int64/int32 field, packed or not, appending to {@code out}. */
    void repeatedVarint(LongList out) throws OnnxFormatException {
        if (wireType == LENGTH_DELIMITED) {
            ProtoReader packed = message(context);
            while (packed.buf.hasRemaining()) {
                out.add(packed.varint());
            }
        } else {
            expect(VARINT, "repeated integer");
            out.add(varint());
        }
    }

    OnnxFormatException error(long at, String what) {
        return new OnnxFormatException(source + ": " + what + " at byte " + at + " (in " + context + ")");
    }

    private void need(int n, String what) throws OnnxFormatException {
        if (buf.remaining() < n) {
            throw error(offset(), "truncated " + what);
        }
    }

    private long offset() {
        return base + buf.position();
    }

    /** A growable list of longs, to avoid boxing repeated integer fields. */
    static final class LongList {
        private long[] values = new long[8];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }

        int size() {
            return size;
        }
    }
}
