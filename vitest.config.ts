import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.{ts,tsx}'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Browser tests start Chromium; two cores do not gain from more parallel files than that.
    maxWorkers: 2,
  },
})
