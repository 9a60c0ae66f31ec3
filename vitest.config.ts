import { defineConfig } from 'vitest/config';

// Two projects: unit tests are fast and need nothing; integration tests start real
// services (dockerd, registries, SMTP, dynalite) through tests/support and run serially.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // one file at a time: the services are shared and the machine has two cores
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
