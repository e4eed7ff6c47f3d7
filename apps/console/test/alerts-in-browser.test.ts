import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';

/**
 * Open alerts where people look: the tenant's console overview and destination page, and the
 * customer's portal, in Chromium, with an alert the real evaluator opened about a broken destination.
 */
let fx: DeliveryFixture;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let base: string;
let destinationId: string;
let customer: string;
const ALERT_TEXT = '1 dead letters open (above 0)';

beforeAll(async () => {
  fx = await startDeliveryFixture({ alerts: { intervalMs: 200, confirmMs: 0 } });
  base = await fx.stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  const broken = await fx.sqsDestination('browser-alerts', {
    alerts: { dlqOpenAbove: 0, failingForSeconds: null, oldestPendingSecondsAbove: null },
  });
  destinationId = broken.id;
  customer = broken.customerExternalId;
  fx.emulators.fakeSts.revokeRole(broken.roleArn);
  await broken.post();
  await waitFor(async () => {
    const response = await fx.stack.app.inject({
      method: 'GET',
      url: `/v1/alerts?destinationId=${broken.id}`,
      headers: fx.auth,
    });
    return response.json().data.length === 1;
  }, 20_000);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fx?.close();
});

describe('open alerts in the console and the portal', { timeout: 60_000 }, () => {
  it('shows them on the console overview and on the destination page', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/console`);
    await page.getByLabel('API key', { exact: true }).fill(fx.auth.authorization.replace(/^Bearer /, ''));
    await page.getByLabel('API key', { exact: true }).press('Enter');
    const overview = page.getByRole('table', { name: 'Open alerts' });
    await overview.getByText(ALERT_TEXT).waitFor();
    expect(await overview.getByRole('link', { name: 'sqs destination' }).getAttribute('href')).toContain(destinationId);
    await overview.getByRole('link', { name: 'sqs destination' }).click();
    await page.getByRole('table', { name: 'Open alerts' }).getByText(ALERT_TEXT).waitFor();
    await page.getByText('more than 0 dead letters · pending age: off · failing: off').waitFor();
    await page.close();
  });

  it('shows them to the customer in the portal', async () => {
    const session = await fx.stack.app.inject({
      method: 'POST',
      url: '/v1/portal/sessions',
      headers: fx.auth,
      payload: { customerExternalId: customer },
    });
    const portal = await browser.context.newPage();
    // The URL names the host the request came in on (inject's); the page is on the listening port.
    const { pathname, search, hash } = new URL(session.json().url, base);
    await portal.goto(`${base}${pathname}${search}${hash}`);
    await portal.getByRole('table', { name: 'Open alerts' }).getByText(ALERT_TEXT).waitFor();
    await portal.close();
  });
});
