import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Express never leaves it unset on a live socket; this stands in where it would. */
const NO_ADDRESS = 'unknown';

const addressOf = (request: Request) => request.ip ?? NO_ADDRESS;

/** The client's address as express gives it: the TCP peer, or what a trusted proxy (TRUST_PROXY) says. */
export const ClientAddress = createParamDecorator((_: unknown, context: ExecutionContext) => addressOf(context.switchToHttp().getRequest<Request>()));

export const clientAddressOf = (context: ExecutionContext) => addressOf(context.switchToHttp().getRequest<Request>());
