import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { arrivals, POISON, scenario } from '@sluice/testing/fifo-hold-scenario';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';

/**
 * A FIFO destination's held groups on its console page, in Chromium: the dead message that holds
 * group b and how many wait behind it; Replay first sends it, then the rest of b, in order.
 */
let fx: DeliveryFixture;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let base: string;

beforeAll(async () => {
  fx = await startDeliveryFixture();
  base = await fx.stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fx?.close();
});

describe('held groups in the console', { timeout: 60_000 }, () => {
  it("shows a held group on its destination's page, and replays its dead message first", async () => {
    const s = scenario(fx);
    const d = await fx.sqsDestination('console-held.fifo', {
      config: { messageGroupIdField: 'payload.group' },
      transform: POISON,
      fifo: { onDeadLetter: 'hold' },
    });
    await s.post(d, 1, 3);
    await collectMessages(fx.aws.sqs, d.queueUrl, 6);
    await s.deadHead(d.id);
    await s.fix(d.id);

    const page = await browser.context.newPage();
    await page.goto(`${base}/console#/destinations/${d.id}`);
    await page.getByLabel('API key', { exact: true }).fill(fx.auth.authorization.replace(/^Bearer /, ''));
    await page.getByLabel('API key', { exact: true }).press('Enter');
    await page.getByText('its group waits for it (hold)').waitFor();
    const held = page.getByRole('table', { name: 'Held groups' });
    await held.getByRole('cell', { name: 'transform_failed', exact: true }).waitFor();
    expect(await held.getByTestId('waiting-behind').textContent()).toBe('2');

    await held.getByRole('button', { name: 'Replay first' }).click();
    await page.getByText('No group is held.').waitFor();
    const groupB = arrivals(await collectMessages(fx.aws.sqs, d.queueUrl, 3));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b1', 'b2', 'b3']);
    await waitFor(async () => (await s.api('GET', `/v1/dlq?destinationId=${d.id}`)).json().data.length === 0);
    await page.close();
  });
});
