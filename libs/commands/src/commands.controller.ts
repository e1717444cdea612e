import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { sendCommandSchema, type CommandDto, type SendCommand } from '@ioc/contracts';
import { Allow, READERS, type AuthenticatedRequest } from '@ioc/auth';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { deviceId } from '@ioc/devices';
import { CommandsService } from './commands.service';

@Controller('api/devices/:id/commands')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @Post()
  @HttpCode(202)
  @Allow('admin', 'supervisor', 'operator')
  @ApiZodBody(sendCommandSchema)
  send(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(sendCommandSchema)) body: SendCommand,
    @Req() request: AuthenticatedRequest,
  ): Promise<CommandDto> {
    return this.commands.send(deviceId(id), body, request.principal?.username ?? null);
  }

  @Get()
  @Allow(...READERS.commands)
  history(@Param('id') id: string): Promise<CommandDto[]> {
    return this.commands.history(deviceId(id));
  }
}
