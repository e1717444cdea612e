import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { backtestRequestSchema, type BacktestRequest, type BacktestResultDto } from '@ioc/contracts';
import { ApiZodBody, ErrorCode, IocError, ZodValidationPipe } from '@ioc/common';
import { Allow } from '@ioc/auth';
import { BacktestService } from './backtest.service';

/** Replays read weeks of history: a few at a time per node, so they never starve live reads. */
const MAX_RUNNING = 2;

@Controller('api/rules/backtest')
export class BacktestController {
  private running = 0;

  constructor(private readonly backtest: BacktestService) {}

  /** A rule draft replayed over stored history: the incidents it would have opened. Nothing is written. */
  @Post()
  @Allow('admin', 'supervisor')
  @HttpCode(200)
  @ApiZodBody(backtestRequestSchema)
  async run(@Body(new ZodValidationPipe(backtestRequestSchema)) body: BacktestRequest): Promise<BacktestResultDto> {
    if (this.running >= MAX_RUNNING) {
      throw new IocError(ErrorCode.Unavailable, `${MAX_RUNNING} backtests are running already: try again when one has finished`);
    }
    this.running++;
    try {
      return await this.backtest.run(body);
    } finally {
      this.running--;
    }
  }
}
