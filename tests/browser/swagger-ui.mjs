// Uses Swagger UI as a person would, in Debian's chromium: the operations are listed, Authorize takes the query key,
// and "Try it out" on GET /transactions/{id} shows the transaction with a 200.
// Usage: node swagger-ui.mjs BASE_URL QUERY_KEY TRANSACTION_ID SCREENSHOT_PATH
// Prints one line per step; exits 0 when all pass, 1 at the first failure (with a screenshot of the page then).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const installHint = 'when missing, scripts/browser-deps installs it, as scripts/test does';
const { chromium } = await import('playwright-core').catch(error => {
  console.error(`FAILED: load playwright-core: ${error.message.split('\n')[0]} (${installHint})`);
  process.exit(1);
});

const [baseUrl, queryKey, transactionId, screenshotPath] = process.argv.slice(2);
if (!screenshotPath) {
  console.error('usage: node swagger-ui.mjs BASE_URL QUERY_KEY TRANSACTION_ID SCREENSHOT_PATH');
  process.exit(2);
}

const executablePath = '/usr/bin/chromium';
// The test machine is a loaded 2-core box: chromium alone can take 10 s and more to start.
const timeout = 60_000;
const listed = [
  ['POST', '/event'],
  ['GET', '/transactions'],
  ['GET', '/transactions/{id}'],
  ['GET', '/transactions/{id}/events'],
  ['GET', '/quotes'],
  ['GET', '/quotes/{id}'],
  ['GET', '/customers/{id}'],
  ['GET', '/rejected-events'],
  ['GET', '/rejected-events/{id}'],
  ['POST', '/rejected-events/{id}/replay'],
];

let page;
const operation = (method, path) =>
  page.locator(`.opblock.opblock-${method.toLowerCase()}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });

async function saveScreenshot() {
  mkdirSync(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
}

async function step(name, action, hint) {
  try {
    await action();
    console.log(`ok: ${name}`);
  } catch (error) {
    console.error(`FAILED: ${name}: ${error.message.split('\n')[0]}${hint ? ` (${hint})` : ''}`);
    if (page && await saveScreenshot().then(() => true, () => false))
      console.error(`screenshot of the page at the failure: ${screenshotPath}`);
    throw error;
  }
}

let browser;
try {
  await step(`start ${executablePath}`, async () => {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(timeout);
  }, installHint);

  await step('open /swagger and see the operations list', async () => {
    await page.goto(new URL('/swagger', baseUrl).href, { timeout });
    await page.locator('.opblock').first().waitFor();
  });

  for (const [method, path] of listed) {
    await step(`${method} ${path} is listed`, () => operation(method, path).waitFor());
  }

  await step('authorize with the query key (queryApiKey)', async () => {
    await page.locator('.btn.authorize').first().click();
    const scheme = page.locator('.modal-ux .auth-container').filter({ has: page.locator('h4', { hasText: 'queryApiKey' }) });
    await scheme.locator('input').fill(queryKey);
    await scheme.locator('button', { hasText: 'Authorize' }).click();
    await scheme.locator('button', { hasText: 'Logout' }).waitFor();
    await scheme.locator('button', { hasText: 'Close' }).click();
    await page.locator('.modal-ux').waitFor({ state: 'detached' });
  });

  const transaction = operation('GET', '/transactions/{id}');
  await step(`try it out: GET /transactions/{id} with id ${transactionId}`, async () => {
    await transaction.locator('.opblock-summary').click();
    await transaction.locator('button', { hasText: 'Try it out' }).click();
    await transaction.locator('tr[data-param-name="id"] input').fill(transactionId);
    await transaction.locator('button', { hasText: 'Execute' }).click();
    await transaction.locator('.live-responses-table tr.response .response-col_status').waitFor();
  });

  await step('the live response is 200 with the transaction', async () => {
    const status = (await transaction.locator('.live-responses-table tr.response .response-col_status').innerText()).trim();
    if (status !== '200') throw new Error(`the response shown is ${status}, not 200`);
    const body = await transaction.locator('.live-responses-table tr.response .response-col_description pre').first().innerText();
    if (!body.includes(`"${transactionId}"`)) throw new Error(`the response body shown does not hold "${transactionId}": ${body}`);
  });

  await step(`save a screenshot to ${screenshotPath}`, saveScreenshot);
} catch {
  process.exitCode = 1;
} finally {
  await browser?.close();
}
