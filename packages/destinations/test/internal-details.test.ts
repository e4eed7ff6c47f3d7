import { describe, expect, it } from 'vitest';
import { withoutInternalDetails } from '../src/internal-details.ts';

describe('withoutInternalDetails', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:4566', 'connect ECONNREFUSED <internal address>'],
    ['connect ECONNREFUSED ::1:4566', 'connect ECONNREFUSED <internal address>'],
    ['getaddrinfo ENOTFOUND vpce-0a1b.sqs.us-east-1.vpce.internal', 'getaddrinfo ENOTFOUND <internal address>'],
    ['request to http://10.0.3.4:8080/queue failed', 'request to <internal endpoint> failed'],
    [
      'proxy sqs.corp.internal:443 refused; [fe80::1]:443 too',
      'proxy <internal address> refused; <internal address> too',
    ],
    ['upstream localhost:4566 is down', 'upstream <internal address> is down'],
  ])('hides %s', (message, hidden) => {
    expect(withoutInternalDetails(message)).toBe(hidden);
  });

  it.each([
    'The queue https://sqs.us-east-1.amazonaws.com/123456789012/orders does not exist',
    'User arn:aws:sts::123456789012:assumed-role/Writer/sluice-t1 is not authorized on arn:aws:sqs:us-east-1:123456789012:orders',
    'Signature expired: 20260526T142108Z is now earlier than 20260526T143108Z (14:21:08)',
    'One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.',
  ])('keeps what AWS said about public resources: %s', (message) => {
    expect(withoutInternalDetails(message)).toBe(message);
  });
});
