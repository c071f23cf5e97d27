// Debian's Chromium driven by playwright-core, headless, with screenshots kept as artifacts.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

// Chromium cannot capture a page taller than its largest texture (a long reference page at
// 320 px is): the artifact keeps the page's first screens instead.
const TALLEST_SCREENSHOT = 8000;

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  const { width, height } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
  }));
  const clip = height > TALLEST_SCREENSHOT ? { x: 0, y: 0, width, height: TALLEST_SCREENSHOT } : undefined;
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true, clip });
}

/// Asserts the page shows `code` with the catalogue's copy, and returns the alert text.
export async function expectCopy(assert, page, catalogue, code) {
  const alert = page.locator(`[role=alert][data-code="${code}"]`);
  await alert.waitFor({ timeout: 10000 });
  // A hosted page's summary holds the copy in `.copy`, beside what else belongs to the error.
  const copy = alert.locator('.copy');
  const text = ((await copy.count()) ? await copy.textContent() : await alert.textContent()).trim();
  assert.equal(text, catalogue[code].message, `${code} shows the catalogue copy`);
  return text;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/// Runs axe-core (WCAG 2.1 A/AA and best practices) on the page and asserts no violation.
/// The page's context must be created with `bypassCSP: true`: axe is injected as a script.
export async function expectAccessible(assert, page, label) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const found = result.violations.map((violation) =>
    `${violation.id}: ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 5).join(' | ')}`);
  assert.deepEqual(found, [], `${label}: axe-core violations`);
}
