package dev.companion.bench.overhead;

import java.util.Arrays;

/** Measured times (nanoseconds) or amounts, and their percentiles by nearest rank. */
final class Samples {

    private final String name;
    private double[] values = new double[16];
    private int size;

    Samples(String name) {
        this.name = name;
    }

    void add(double value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    void addAll(Samples other) {
        for (int i = 0; i < other.size; i++) {
            add(other.values[i]);
        }
    }

    int size() {
        return size;
    }

    String name() {
        return name;
    }

    /** The nearest-rank percentile, {@code p} in (0, 100]. */
    double percentile(double p) {
        if (size == 0) {
            return Double.NaN;
        }
        double[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * size);
        return sorted[Math.max(0, Math.min(size - 1, rank - 1))];
    }

    double p50() {
        return percentile(50);
    }

    double p99() {
        return percentile(99);
    }

    double min() {
        return percentile(0.0001);
    }

    double max() {
        return percentile(100);
    }
}
