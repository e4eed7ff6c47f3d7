import type { components } from './generated/openapi.ts';

/** An RFC 9457 problem document as Sluice answers it. */
export type Problem = components['schemas']['Problem'];
export type FieldError = NonNullable<Problem['errors']>[number];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export function isProblem(value: unknown): value is Problem {
  return (
    isRecord(value) &&
    typeof value.status === 'number' &&
    typeof value.code === 'string' &&
    typeof value.detail === 'string' &&
    typeof value.title === 'string' &&
    (value.errors === undefined || Array.isArray(value.errors))
  );
}

/**
 * What every failed call throws: the API's problem document, typed. An answer that is not one
 * (a proxy's HTML 502, an empty 503) is described by a problem made here with code `http_<status>`.
 */
export class SluiceProblem extends Error {
  override readonly name = 'SluiceProblem';
  readonly problem: Problem;
  readonly operationId: string;

  constructor(operationId: string, problem: Problem) {
    super(`${operationId}: ${problem.status} ${problem.code}: ${problem.detail}`);
    this.problem = problem;
    this.operationId = operationId;
  }

  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
  get detail(): string {
    return this.problem.detail;
  }
  get errors(): FieldError[] {
    return this.problem.errors ?? [];
  }
  get requestId(): string {
    return this.problem.requestId;
  }

  static fromAnswer(operationId: string, response: Response, body: unknown): SluiceProblem {
    if (isProblem(body)) return new SluiceProblem(operationId, body);
    const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : undefined;
    return new SluiceProblem(operationId, {
      type: 'about:blank',
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      detail: text ?? `The API answered ${response.status} without a problem document.`,
      code: `http_${response.status}`,
      requestId: response.headers.get('x-request-id') ?? '',
    });
  }
}
