/**
 * An example request body for every operation that takes one, keyed by operationId. The
 * document shows them beside each body, and `redocly lint` checks each one against its schema
 * (no-invalid-media-type-examples), so an example that stops matching the contract fails CI.
 */

const event = {
  eventType: 'order.completed',
  occurredAt: '2026-05-26T14:21:08.493Z',
  source: 'billing-service',
  customerExternalId: 'acct_8K2zRq',
  idempotencyKey: 'order_38a91f-completed',
  correlationId: 'req_4f30b2',
  payload: { orderId: 'ord_38a91f', amount: 12900 },
  metadata: { tier: 'pro', region: 'us-east-1' },
};

const dlqFilters = {
  destinationId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d',
  reason: 'permanent_error',
  from: '2026-05-26T00:00:00Z',
};

export interface RequestExample {
  summary: string;
  value: unknown;
}

export const requestExamples: Record<string, Record<string, RequestExample>> = {
  createTenant: { tenant: { summary: 'A tenant', value: { name: 'Acme' } } },
  updateTenant: {
    portal: {
      summary: 'Let the tenant embed its customer portal',
      value: { portal: { frameAncestors: ['https://app.acme.example'] } },
    },
    limits: {
      summary: 'Raise the ingest rate; null returns a limit to the service default',
      value: { limits: { ingestPerSecond: 5000, ingestBurst: 10000, maxDestinations: null } },
    },
  },
  createApiKey: {
    ingest: { summary: 'A key that only sends and reads events', value: { name: 'billing', scopes: ['ingest'] } },
    admin: { summary: 'A key that manages everything of the tenant', value: { name: 'ops', scopes: ['admin'] } },
  },
  sendEvent: { event: { summary: 'An order completed', value: event } },
  sendEventBatch: {
    batch: {
      summary: 'Two events',
      value: {
        events: [
          event,
          { ...event, eventType: 'invoice.paid', idempotencyKey: 'inv_77-paid', payload: { invoiceId: 'inv_77' } },
        ],
      },
    },
  },
  createDestination: {
    sqsFifo: {
      summary: 'A FIFO SQS queue, reached by assuming the customer’s role',
      value: {
        name: 'Customer SQS queue',
        customerExternalId: 'acct_8K2zRq',
        type: 'sqs',
        config: {
          queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/pushes.fifo',
          messageGroupIdField: 'payload.orderId',
        },
        auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/SluiceWriter' },
        eventTypes: ['order.*', 'invoice.paid'],
      },
    },
    snsFifoHold: {
      summary: 'A FIFO SNS topic whose groups wait behind a dead message until it is replayed',
      value: {
        name: 'Customer order topic',
        customerExternalId: 'acct_8K2zRq',
        type: 'sns',
        config: { topicArn: 'arn:aws:sns:us-east-1:123456789012:orders.fifo', messageGroupIdField: 'payload.orderId' },
        auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/SluiceWriter' },
        fifo: { onDeadLetter: 'hold' },
      },
    },
    kinesis: {
      summary: 'A Kinesis stream with an access key',
      value: {
        name: 'Analytics stream',
        customerExternalId: 'acct_8K2zRq',
        type: 'kinesis',
        config: { streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/orders' },
        rateLimit: { perSecond: 200 },
        auth: {
          mode: 'access_key',
          accessKeyId: 'AKIAEXAMPLEKEY000001',
          secretAccessKey: 'example-secret-not-a-real-one',
        },
      },
    },
  },
  updateDestination: {
    eventTypes: { summary: 'Deliver only orders', value: { eventTypes: ['order.*'] } },
    disable: { summary: 'Disable it: new events are no longer delivered to it', value: { enabled: false } },
    transform: {
      summary: 'Send a reshaped message (JSONata)',
      value: {
        transform: { language: 'jsonata', expression: '{ "order": payload.orderId, "total": payload.amount }' },
      },
    },
    fifoHold: {
      summary: 'Hold a FIFO group behind its dead message (back to "skip" releases every held group)',
      value: { fifo: { onDeadLetter: 'hold' } },
    },
    rateLimit: {
      summary: 'Send at most 50 messages a second, over all workers',
      value: { rateLimit: { perSecond: 50 } },
    },
    noRateLimit: { summary: 'Remove the rate limit', value: { rateLimit: null } },
    alerts: {
      summary: 'Alert at 10 open dead letters; never on the oldest pending delivery',
      value: { alerts: { dlqOpenAbove: 10, oldestPendingSecondsAbove: null } },
    },
  },
  previewDestination: {
    event: { summary: 'A canonical event, as it would be sent', value: { event } },
    stored: {
      summary: 'An accepted event of the destination’s customer',
      value: { eventId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d' },
    },
  },
  startDlqReplay: {
    filtered: { summary: 'Replay one destination’s permanent errors since a date', value: dlqFilters },
    everything: { summary: 'Replay every open entry', value: {} },
    heldGroups: {
      summary: 'Replay every entry that holds a FIFO group of one destination (each goes first, in its turn)',
      value: { destinationId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d', holdsGroup: 'true' },
    },
  },
  adminStartDlqReplay: {
    tenant: {
      summary: 'Replay one tenant’s entries of a destination',
      value: { ...dlqFilters, tenantId: '019a5c1e-0000-7000-8000-000000000001' },
    },
  },
  createPortalSession: {
    session: {
      summary: 'A portal session for one customer, for an hour',
      value: { customerExternalId: 'acct_8K2zRq' },
    },
  },
  exchangePortalCode: { code: { summary: 'The code from the portal URL’s fragment', value: { code: 'pc_3Jq9…' } } },
  createConsoleSession: { key: { summary: 'Sign in with a tenant admin key', value: { key: 'sk_live_…' } } },
};
