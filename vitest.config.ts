import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.{ts,tsx}'],
    // A guard against hangs, not a speed goal (those live in `npm run bench`): a browser test that drives
    // several pages and axe sweeps takes seconds alone and several times that beside another Chromium.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser tests start Chromium; two cores do not gain from more parallel files than that.
    maxWorkers: 2,
  },
})
