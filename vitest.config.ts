import { defineConfig } from "vitest/config"

// .ci/run asks for a JSON report beside the console output, to print its closing counts line.
const report = process.env.RC_TEST_REPORT

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    ...(report ? { reporters: ["default", ["json", { outputFile: report }]] } : {}),
    // Generous: the multi-process tests start 8 Node processes at once on 2 cores, beside other test files.
    testTimeout: 120_000,
    hookTimeout: 30_000
  }
})
