import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // At least two files at once, even on two cores (vitest's default is one fewer than the cores): most
    // tests wait on child processes, fsync and loop devices, not on the CPU. Measured on two cores: the
    // suite in 226 s with two, 376 s with one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
