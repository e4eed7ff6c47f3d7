/**
 * The one error type services throw. `code` is the stable snake_case string clients
 * branch on; `status` is the HTTP status; `expose` says whether `detail` may reach the
 * client (false for anything that could carry internals: those answers show a request id only).
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  expose?: boolean;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly expose: boolean;

  constructor(code: string, status: number, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.detail = detail;
    this.errors = options.errors;
    this.expose = options.expose ?? status < 500;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new AppError('validation_failed', 400, detail, { errors });
export const unauthorized = (detail = 'A valid API key is required.') => new AppError('unauthorized', 401, detail);
export const forbidden = (detail: string) => new AppError('forbidden', 403, detail);
export const notFound = (what: string) => new AppError('not_found', 404, `${what} was not found.`);
export const conflict = (code: string, detail: string) => new AppError(code, 409, detail);
