/** What went wrong, for code; the message is for people. Mapped to HTTP in one place. */
export enum ErrorCode {
  NotFound = 'not_found',
  Conflict = 'conflict',
  Invalid = 'invalid',
  TooLarge = 'payload_too_large',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  Locked = 'locked',
  Unavailable = 'unavailable',
}

export class IocError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}
