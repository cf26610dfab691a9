package dev.bicross.index;

import java.util.Arrays;

/**
 * Open-addressing hash map from caller ids ({@code long}) to node ordinals ({@code int >= 0}), without boxing
 * (a {@code HashMap<Long,Integer>} costs ~80 bytes per entry; this costs ~24). Linear probing with
 * backward-shift deletion, so there are no tombstones. Not thread-safe: the owning store guards it.
 */
final class LongIntMap {

    private static final int ABSENT = -1;

    private long[] keys;
    private int[] values; // ABSENT marks a free slot
    private int size;

    LongIntMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, ABSENT);
    }

    int size() {
        return size;
    }

    /** The value for {@code key}, or -1. */
    int get(long key) {
        int mask = values.length - 1;
        for (int slot = slotOf(key, mask); ; slot = (slot + 1) & mask) {
            if (values[slot] == ABSENT) {
                return ABSENT;
            }
            if (keys[slot] == key) {
                return values[slot];
            }
        }
    }

    /** Associates {@code key} with {@code value >= 0}; returns the previous value or -1. */
    int put(long key, int value) {
        if ((size + 1) * 2 > values.length) {
            rehash(values.length * 2);
        }
        int mask = values.length - 1;
        for (int slot = slotOf(key, mask); ; slot = (slot + 1) & mask) {
            if (values[slot] == ABSENT) {
                keys[slot] = key;
                values[slot] = value;
                size++;
                return ABSENT;
            }
            if (keys[slot] == key) {
                int previous = values[slot];
                values[slot] = value;
                return previous;
            }
        }
    }

    /** Removes {@code key}; returns its value or -1. */
    int remove(long key) {
        int mask = values.length - 1;
        int slot = slotOf(key, mask);
        while (values[slot] != ABSENT && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        if (values[slot] == ABSENT) {
            return ABSENT;
        }
        int removed = values[slot];
        // Backward-shift: move later entries of the probe run into the hole when their home allows it.
        int hole = slot;
        for (int next = (hole + 1) & mask; values[next] != ABSENT; next = (next + 1) & mask) {
            int home = slotOf(keys[next], mask);
            boolean movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next);
            if (movable) {
                keys[hole] = keys[next];
                values[hole] = values[next];
                hole = next;
            }
        }
        values[hole] = ABSENT;
        size--;
        return removed;
    }

    private void rehash(int capacity) {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, ABSENT);
        size = 0;
        for (int i = 0; i < oldValues.length; i++) {
            if (oldValues[i] != ABSENT) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int slotOf(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
