import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createQueue } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { sampleEvent } from '@sluice/testing/stack';
import { testOperatorKey } from '@sluice/testing/test-env';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotsDir } from './browser.ts';

/**
 * The console and the portal in a real Chromium, against the real API (on a port), workers,
 * PostgreSQL, Redis and the AWS emulators: what an operator, a tenant's administrator and a
 * customer do, end to end.
 */
let fixture: DeliveryFixture;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;
let base: string;
const customer = 'acct_journey';
const roleArn = 'arn:aws:iam::000000000000:role/JourneyWriter';

/** Waits for what the page shows; a busy machine (CI runs suites side by side) may take seconds. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 200 });

const shot = (name: string) => page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });

beforeAll(async () => {
  fixture = await startDeliveryFixture();
  // Sessions that last 2 s: a trust policy the customer breaks shows at the next AssumeRole.
  fixture.emulators.fakeSts.setCredentialLifetime(2);
  base = await fixture.stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  context = browser.context;
  page = await context.newPage();
  page.on('pageerror', (error) => {
    throw error;
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fixture?.close();
  if (!process.env.SLUICE_SCREENSHOTS_DIR) rmSync(screenshotsDir, { recursive: true, force: true });
});

async function postEvents(key: string, count: number, type = 'order.completed') {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(sampleEvent({ customerExternalId: customer, eventType: type })),
    });
    expect(response.status).toBe(202);
  }
}

/** Clicks Refresh until the table shows `rows` rows. */
async function refreshUntilRows(table: string, rows: number) {
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(300);
    return page.getByRole('table', { name: table }).locator('tbody tr').count();
  }).toBe(rows);
}

// Each step drives a browser and waits on real deliveries: more than the default 30 s on a busy machine.
describe('console and portal in Chromium', { timeout: 90_000 }, () => {
  let tenantKey = '';
  let destinationId = '';

  it('operator signs in, creates a tenant and its admin key (shown once), signs out', async () => {
    await page.goto(`${base}/console`);
    await shot('sign-in');
    await page.getByLabel('API key', { exact: true }).fill(testOperatorKey);
    await page.getByLabel('API key', { exact: true }).press('Enter');
    await page.getByRole('link', { name: 'Tenants and keys' }).click();
    await page.getByLabel('New tenant name').fill('Journey Inc');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByLabel('Key name').fill('console');
    await page.getByRole('button', { name: 'Create key' }).click();
    tenantKey = (await page.getByTestId('new-key').textContent())?.trim() ?? '';
    expect(tenantKey).toMatch(/^sk_/);
    await shot('tenants-and-keys');
    // The key never lands in browser storage or the URL.
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain('sk_');
    expect(page.url()).not.toContain(testOperatorKey);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sluice console' }).waitFor();
  });

  it('tenant admin creates a destination through the guided step, tests it, and sees events arrive', async () => {
    await page.getByLabel('API key', { exact: true }).fill(tenantKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Destinations' }).click();
    await page.getByRole('link', { name: 'New destination' }).click();
    const queueUrl = await createQueue(fixture.aws.sqs, `journey-${process.pid}`);

    // A bad role ARN comes back as the API's error, next to its field.
    await page.getByLabel('Name', { exact: true }).fill('Orders queue');
    await page.getByLabel('Customer external id').fill(customer);
    await page.getByLabel('Queue URL').fill(queueUrl);
    await page.getByLabel('Role ARN Sluice assumes').fill('not-an-arn');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await eventually(() => page.locator('.field-error').first().textContent()).toContain('IAM role ARN');
    await page.getByLabel('Role ARN Sluice assumes').fill(roleArn);
    await page.getByRole('button', { name: 'Save and continue' }).click();

    // Step 2: the ExternalId, trust policy and CloudFormation template for the customer's role.
    await page.getByRole('region', { name: 'CloudFormation template' }).waitFor();
    const externalId = (await page.getByTestId('external-id').textContent())?.trim() ?? '';
    expect(externalId).toMatch(/^sluice-/);
    const template = await page.getByRole('region', { name: 'CloudFormation template' }).locator('pre').textContent();
    expect(template).toContain(externalId);
    expect(template).toContain('RoleName: JourneyWriter');
    destinationId = page.url().split('/destinations/')[1]?.split('?')[0] ?? '';
    await shot('destination-setup');

    // The customer applies the trust policy; the Test button shows each check.
    fixture.emulators.fakeSts.allowRole(roleArn, externalId);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await eventually(() => page.getByRole('status', { name: 'Test result' }).textContent()).toContain('Passed');

    await postEvents(tenantKey, 3);
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByRole('tab', { name: 'Delivered' }).click();
    await refreshUntilRows('delivered messages', 3);
    await page.getByRole('table', { name: 'delivered messages' }).getByRole('button').first().click();
    await eventually(() => page.getByRole('table', { name: 'Attempt log' }).textContent()).toContain('delivered');
    await shot('messages');
  });

  it('shows a broken trust policy as failing, and the fix; replays the dead letters with progress to done', async () => {
    fixture.emulators.fakeSts.revokeRole(roleArn);
    await page.waitForTimeout(2_500); // the 2-second session runs out
    await postEvents(tenantKey, 2, 'order.refunded');
    await page.getByRole('tab', { name: 'Dead' }).click();
    await refreshUntilRows('dead messages', 2);
    expect(await page.getByRole('table', { name: 'dead messages' }).textContent()).toContain('AccessDenied');

    await page.getByRole('link', { name: 'Destination', exact: true }).click();
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const result = page.getByRole('status', { name: 'Test result' });
    await eventually(() => result.textContent()).toContain('Failed');
    expect(await result.textContent()).toContain('sts:ExternalId');

    // The customer fixes the trust policy.
    const externalId = (await page.getByTestId('external-id').textContent())?.trim() ?? '';
    fixture.emulators.fakeSts.allowRole(roleArn, externalId);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await eventually(() => result.textContent()).toContain('Passed');

    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByLabel('Destination id').fill(destinationId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await eventually(() => page.getByRole('table', { name: 'Dead letters' }).locator('tbody tr').count()).toBe(2);
    await shot('dead-letters');
    await page.getByRole('button', { name: 'Replay all matching' }).click();
    await eventually(() => page.locator('.progress').textContent()).toContain('2 of 2 — done');

    await page.getByRole('link', { name: 'Destinations' }).click();
    await page.getByRole('link', { name: 'Orders queue' }).click();
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByRole('tab', { name: 'Delivered' }).click();
    await refreshUntilRows('delivered messages', 5);

    await page.getByRole('link', { name: 'Overview' }).click();
    await eventually(() => page.getByTestId('pending').textContent()).toBe('0');
    await page.locator('canvas').first().waitFor();
    await shot('overview');
  });

  it("opens a portal session: the customer sees its destination, not another customer's", async () => {
    const other = await fetch(`${base}/v1/destinations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Someone else',
        customerExternalId: 'acct_other',
        type: 'sqs',
        config: { queueUrl: await createQueue(fixture.aws.sqs, `journey-other-${process.pid}`) },
        auth: { mode: 'assume_role', roleArn },
      }),
    });
    expect(other.status).toBe(201);
    await page.getByRole('link', { name: 'Destinations' }).click();
    await page.getByRole('link', { name: 'Orders queue' }).click();
    await page.getByRole('button', { name: `Open the portal for ${customer}` }).click();
    const link = await page.getByRole('link', { name: /Portal link/ }).getAttribute('href');
    expect(link).toContain('#code=pc_');

    const portal = await context.newPage();
    await portal.goto(link ?? '');
    await portal.getByRole('link', { name: 'Destinations' }).click();
    await portal.getByRole('link', { name: 'Orders queue' }).waitFor();
    expect(await portal.getByRole('link', { name: 'Someone else' }).count()).toBe(0);
    expect(portal.url()).not.toContain('code=');
    await portal.screenshot({ path: join(screenshotsDir, 'portal.png'), fullPage: true });

    // The code was for one use: the same link opens nothing now.
    const again = await context.newPage();
    await again.goto(link ?? '');
    await eventually(() => again.getByRole('alert').textContent()).toContain('already used or has expired');
  });
});
