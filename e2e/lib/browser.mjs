// Debian's Chromium driven by playwright-core, headless, with screenshots kept as artifacts.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/// Asserts the page shows `code` with the catalogue's copy, and returns the alert text.
export async function expectCopy(assert, page, catalogue, code) {
  const alert = page.locator(`[role=alert][data-code="${code}"]`);
  await alert.waitFor({ timeout: 10000 });
  const text = (await alert.textContent()).trim();
  assert.equal(text, catalogue[code].message, `${code} shows the catalogue copy`);
  return text;
}
