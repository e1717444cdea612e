import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query, Req } from '@nestjs/common';
import {
  createSilenceSchema,
  listSilencesQuerySchema,
  type CreateSilence,
  type ListSilencesQuery,
  type SilenceDto,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, OPERATIONS_ROOM, type AuthenticatedRequest } from '@ioc/auth';
import { SilencesService } from './silences.service';

/** Maintenance windows, set by the operations room; every change is in the audit log. */
@Controller('api/silences')
export class SilencesController {
  constructor(private readonly silences: SilencesService) {}

  @Get()
  @Allow(...OPERATIONS_ROOM)
  list(@Query(new ZodValidationPipe(listSilencesQuerySchema)) query: ListSilencesQuery): Promise<SilenceDto[]> {
    return this.silences.list(query);
  }

  @Get(':id')
  @Allow(...OPERATIONS_ROOM)
  get(@Param('id', ParseIntPipe) id: number): Promise<SilenceDto> {
    return this.silences.get(id);
  }

  @Post()
  @Allow('admin', 'supervisor', 'operator')
  @ApiZodBody(createSilenceSchema)
  create(@Body(new ZodValidationPipe(createSilenceSchema)) body: CreateSilence, @Req() request: AuthenticatedRequest): Promise<SilenceDto> {
    return this.silences.create(body, request.principal!.username);
  }

  /** Ends it now; what it held back and still fires opens its incidents within a second. */
  @Post(':id/end')
  @Allow('admin', 'supervisor', 'operator')
  @HttpCode(200)
  end(@Param('id', ParseIntPipe) id: number, @Req() request: AuthenticatedRequest): Promise<SilenceDto> {
    return this.silences.end(id, request.principal!.username);
  }
}
