import { Controller, Get, Query } from '@nestjs/common';
import { listDeadLettersQuerySchema, type DeadLetterDto, type ListDeadLettersQuery } from '@ioc/contracts';
import { ZodValidationPipe } from '@ioc/common';
import { Allow } from '@ioc/auth';
import { DeadLettersRepository } from './dead-letters.repository';

@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersRepository) {}

  @Get()
  @Allow('admin', 'supervisor', 'operator')
  list(@Query(new ZodValidationPipe(listDeadLettersQuerySchema)) query: ListDeadLettersQuery): Promise<DeadLetterDto[]> {
    return this.deadLetters.find(query);
  }
}
