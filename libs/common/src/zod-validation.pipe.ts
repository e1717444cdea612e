import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ErrorCode, IocError } from './errors';
import { inputIssues, type InputIssue } from './input-limits';

/**
 * Parses a body or query with a contract schema; unknown keys and wrong types answer 400 with
 * each issue. Before any schema, every value is held to the input limits (no NUL or other
 * control character, no nesting past MAX_INPUT_DEPTH), so no field can forget them.
 */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const limited = inputIssues(value);
    if (limited.length > 0) throw invalid(limited);
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    throw invalid(result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
}

function invalid(issues: InputIssue[]): IocError {
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return new IocError(ErrorCode.Invalid, summary, issues);
}
