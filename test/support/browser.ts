import type { Page } from 'playwright-core';

/** Debian's Chromium, headless, with nothing that would reach out of this machine. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Chromium refuses port 9 outright, so no tile ever loads and the offline basemap is all there is. */
export const UNREACHABLE_TILES = 'http://127.0.0.1:9/{z}/{x}/{y}.png';

/** Waits until the element shows exactly `text`; on timeout, says what it showed instead. */
export async function expectText(page: Page, selector: string, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown: string | null = null;
  while (Date.now() < deadline) {
    shown = await page.locator(selector).first().textContent({ timeout: 1_000 }).catch(() => null);
    if (shown === text) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${selector}: expected "${text}", shown ${JSON.stringify(shown)}`);
}

/** Fills and sends the console's login form. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('.login-card__submit').click();
}
