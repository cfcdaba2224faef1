// Lighthouse's performance and accessibility scores for pages of the portal, signed in as a real
// user: one Chromium tab signs in through /login, then Lighthouse audits each URL in that same tab
// (the session lives in the tab's sessionStorage, so a fresh tab would only see /login).
//
//   CHROME_PATH=$(command -v chromium) node bench/lighthouse.mjs <portal url> <email> <password> <path>...
//
// Prints one JSON object: {"<path>": {"performance": 0-100, "accessibility": 0-100, ...}}.
// "/login" is audited signed out, before the sign-in. bench/phases/portal.py installs lighthouse
// into out/bench-tools and runs this with NODE_PATH pointing there.
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

const [base, email, password, ...paths] = process.argv.slice(2);
// Without the background-networking flags Chromium's own connections fail on a closed network.
const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];
const browser = await puppeteer.launch({ executablePath: process.env.CHROME_PATH, headless: true, args });
const flags = { output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'],
  disableStorageReset: true };

async function audit(page, path) {
  const result = await lighthouse(new URL(path, base).href, flags, undefined, page);
  const { categories, audits } = result.lhr;
  return {
    performance: Math.round(categories.performance.score * 100),
    accessibility: Math.round(categories.accessibility.score * 100),
    first_contentful_paint_ms: Math.round(audits['first-contentful-paint'].numericValue),
    largest_contentful_paint_ms: Math.round(audits['largest-contentful-paint'].numericValue),
    total_blocking_time_ms: Math.round(audits['total-blocking-time'].numericValue),
    final_url: result.lhr.finalDisplayedUrl,
  };
}

const scores = {};
try {
  const page = await browser.newPage();
  if (paths.includes('/login')) scores['/login'] = await audit(page, '/login');
  await page.goto(new URL('/login', base).href, { waitUntil: 'networkidle0' });
  await page.locator('::-p-aria(Email[role="textbox"])').fill(email);
  await page.locator('::-p-aria(Password[role="textbox"])').fill(password);
  await page.locator('::-p-aria(Sign in[role="button"])').click();
  await page.locator('::-p-aria(Sign out[role="button"])').wait();
  for (const path of paths.filter((p) => p !== '/login')) scores[path] = await audit(page, path);
} finally {
  await browser.close();
}
console.log(JSON.stringify(scores));
