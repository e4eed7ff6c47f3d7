import { describe, expect, it } from 'vitest';
import { compileEventTypes } from '../src/event-type-match.ts';

describe('eventTypes matching', () => {
  it.each([
    [['order.completed'], 'order.completed', true],
    [['order.completed'], 'order.completed.v2', false],
    [['order.*'], 'order.completed', true],
    [['order.*'], 'order.line.added', true],
    [['order.*'], 'order.', true],
    [['order.*'], 'orders.completed', false],
    [['*.paid'], 'invoice.paid', true],
    [['*.paid'], 'invoice.paid.late', false],
    [['*.order.*'], 'shop.order.created', true],
    [['*.order.*'], 'order.created', false],
    [['a*b*c'], 'abc', true],
    [['a*b*c'], 'axxbyyc', true],
    [['a*b*c'], 'acb', false],
    [['ab*ba'], 'aba', false],
    [['*'], 'anything.at:all', true],
    [['**'], 'x', true],
    [['invoice.paid', 'order.*'], 'invoice.paid', true],
    [[], 'order.completed', false],
  ])('%j matches %s: %s', (patterns, eventType, expected) => {
    expect(compileEventTypes(patterns)(eventType)).toBe(expected);
  });

  it('matches every type when eventTypes is null', () => {
    expect(compileEventTypes(null)('whatever')).toBe(true);
  });

  it('stays linear on patterns that make a backtracking regex explode', () => {
    const matches = compileEventTypes([`${'*a'.repeat(40)}*b`]);
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) matches('a'.repeat(128));
    // A backtracking regex takes minutes here; this takes milliseconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
