import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@intelliauth/spa-js': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
