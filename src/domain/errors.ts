// The few kinds of failure the domain reports. Each carries Docker's wording in its message;
// src/api/errors.ts alone turns a kind into an HTTP status.

export type ErrorKind =
  | 'InvalidArgument'
  | 'NotFound'
  | 'Conflict'
  | 'FailedPrecondition'
  | 'NotModified'
  | 'Forbidden'
  | 'Unavailable'
  | 'NotImplemented'
  /** A failure whose message is meant for the client (moby's plain errors), answered 500. */
  | 'Internal';

export class KapalError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = `${kind}Error`;
  }
}

export const invalidArgument = (message: string) => new KapalError('InvalidArgument', message);
export const notFound = (message: string) => new KapalError('NotFound', message);
export const conflict = (message: string) => new KapalError('Conflict', message);
export const notModified = () => new KapalError('NotModified', '');
export const forbidden = (message: string) => new KapalError('Forbidden', message);
export const notImplemented = (message: string) => new KapalError('NotImplemented', message);

export function isKapalError(err: unknown): err is KapalError {
  return err instanceof KapalError;
}
