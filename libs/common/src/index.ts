export { EventBus, type BusEvents } from './event-bus';
export { ErrorCode, IocError } from './errors';
export { ZodValidationPipe } from './zod-validation.pipe';
export { HttpExceptionFilter } from './http-exception.filter';
export { CommonModule } from './common.module';
