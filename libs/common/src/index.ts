export { EventBus, type BusEvents } from './event-bus';
export { ErrorCode, IocError } from './errors';
export { ZodValidationPipe } from './zod-validation.pipe';
export { HttpExceptionFilter, statusOf } from './http-exception.filter';
export { CommonModule } from './common.module';
export { randomSecret, sha256Hex, secretMatches } from './secrets';
export { ApiZodBody } from './openapi';
export { storableCopy, storableText } from './input-limits';
export { deferBodyError, takeBodyError } from './body-errors';
