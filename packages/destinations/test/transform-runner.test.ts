import { afterAll, describe, expect, it } from 'vitest';
import { bindTransform, prepareMessages } from '../src/transform/prepare-messages.ts';
import { createTransformRunner } from '../src/transform/transform-runner.ts';
import { expressionProblem } from '../src/transform/transform-syntax.ts';
import { makeEvent, messagesOf } from './harness.ts';

/**
 * The transform pool on real child processes: results, every way an expression fails, and the
 * runaways (a loop, a blocking regular expression, a memory bomb) stopped without stalling the
 * process or the other evaluations.
 */

const runner = createTransformRunner({ budgetMs: 100, graceMs: 200, maxHeapMb: 64 });
afterAll(() => runner.close());

// Backtracks exponentially on a's followed by a character that does not match: minutes at 40.
const CATASTROPHIC = '$match(payload.text, /^(a+)+$/)';
const blocking = { payload: { text: `${'a'.repeat(40)}!` } };

describe('transform runner', () => {
  it('evaluates an expression on the event and answers the JSON of the result and its kind', async () => {
    const event = makeEvent({ payload: { orderId: 'ord_1', amount: 12900, attachments: ['x'] } });
    expect(await runner.evaluate('{ "order": payload.orderId, "cents": payload.amount }', event)).toEqual({
      ok: true,
      json: '{"order":"ord_1","cents":12900}',
      kind: 'object',
    });
    expect(await runner.evaluate('payload.orderId', event)).toEqual({ ok: true, json: '"ord_1"', kind: 'string' });
    expect(await runner.evaluate('$ ~> | payload | {}, ["attachments"] |', event)).toMatchObject({
      ok: true,
      json: expect.stringContaining('"payload":{"orderId":"ord_1","amount":12900}'),
    });
  });

  it.each([
    ['an error it raises', '$error("no order")', 'no order (JSONata D3137 at position 7)'],
    ['a type error', 'payload.orderId + 1', 'JSONata T2001'],
    ['nothing', 'payload.missing', 'The transform yielded nothing for this event.'],
    ['a function', 'function($x) { $x }', 'yielded a function, which is not JSON'],
    ['a loop', '($f := function($n) { $f($n + 1) }; $f(0))', 'ran over its time budget of 100 ms'],
    ['runaway recursion', '($f := function($n) { 1 + $f($n + 1) }; $f(0))', 'Stack overflow'],
  ])('fails with a message for %s', async (_case, expression, message) => {
    const result = await runner.evaluate(expression, makeEvent());
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(message);
  });

  it('kills a process blocked inside one step, answers others meanwhile, and goes on after', async () => {
    const order: string[] = [];
    const blocked = runner.evaluate(CATASTROPHIC, blocking).then((result) => {
      order.push('blocked');
      return result;
    });
    const other = runner.evaluate('payload.orderId', makeEvent()).then((result) => {
      order.push('other');
      return result;
    });
    expect(await other).toMatchObject({ ok: true });
    expect(await blocked).toMatchObject({ ok: false, timedOut: true, message: expect.stringContaining('time budget') });
    expect(order).toEqual(['other', 'blocked']);
    expect(await runner.evaluate('"after"', {})).toEqual({ ok: true, json: '"after"', kind: 'string' });
  });

  it('fails a transform that runs out of memory, alone', async () => {
    // A budget long enough that memory, not time, is what stops it.
    const patient = createTransformRunner({ budgetMs: 30_000, maxHeapMb: 32 });
    try {
      const bomb = '($s := $pad("", 1000000); $join([1..400].($s & $string($))))';
      expect(await patient.evaluate(bomb, {})).toMatchObject({ ok: false, message: expect.stringContaining('32 MiB') });
      expect(await patient.evaluate('1 + 1', {})).toEqual({ ok: true, json: '2', kind: 'number' });
    } finally {
      await patient.close();
    }
  });
});

describe('prepareMessages', () => {
  it('keeps the order, gives each message its body, and turns failures into transform_failed outcomes', async () => {
    const transform = bindTransform(
      { language: 'jsonata', expression: 'payload.amount > 0 ? payload : $error("bad amount")' },
      runner,
    );
    const events = [
      makeEvent({ payload: { amount: 1, text: '\ufffe' } }),
      makeEvent({ payload: { amount: 0 } }),
      makeEvent({ payload: { amount: 3 } }),
    ];
    const batch = await prepareMessages(messagesOf(events), transform, { roundBudgetMs: 10_000 });
    // U+FFFE, which SQS refuses, is escaped inside the JSON string as it is in event bodies.
    expect(batch.messages.map((message) => message.body)).toEqual(['{"amount":1,"text":"\\ufffe"}', '{"amount":3}']);
    expect(batch.messages.map((message) => message.event.id)).toEqual([events[0]?.id, events[2]?.id]);
    expect(batch.rejected).toEqual([
      {
        deliveryId: messagesOf(events)[1]?.deliveryId,
        ok: false,
        failure: expect.objectContaining({
          category: 'transform_failed',
          kind: 'permanent',
          message: expect.stringContaining('bad amount'),
        }),
      },
    ]);
  });

  it("leaves what its round's time cannot cover for a later round (transient), after trying at least one", async () => {
    const transform = bindTransform({ language: 'jsonata', expression: CATASTROPHIC }, runner);
    const events = [makeEvent(blocking), makeEvent(blocking), makeEvent(blocking)];
    const batch = await prepareMessages(messagesOf(events), transform, { roundBudgetMs: 50 });
    expect(batch.messages).toEqual([]);
    expect(batch.rejected.map((outcome) => !outcome.ok && [outcome.failure.category, outcome.failure.kind])).toEqual([
      ['transform_failed', 'permanent'],
      ['transform_deferred', 'transient'],
      ['transform_deferred', 'transient'],
    ]);
  });
});

describe('expressionProblem', () => {
  it.each([
    ['a valid expression', '{ "order": payload.orderId }', null],
    [
      'an open object',
      'payload.{ "x": ',
      'does not parse at position 15: Expected "}" before end of expression (JSONata S0203)',
    ],
    [
      'an open string',
      '"open',
      'does not parse at position 5: String literal must be terminated by a matching quote (JSONata S0101)',
    ],
    ['20,000 open brackets', '('.repeat(20_000), 'is nested too deeply to parse'],
  ])('%s', (_case, expression, problem) => {
    expect(expressionProblem(expression)).toBe(problem);
  });
});
