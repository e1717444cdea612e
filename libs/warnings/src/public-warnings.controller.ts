import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import type { PublicWarningDto } from '@ioc/contracts';
import { ZodValidationPipe } from '@ioc/common';
import { Public } from '@ioc/auth';
import { ATOM_MEDIA_TYPE } from './atom/atom-feed';
import { CAP_MEDIA_TYPE } from './cap/cap-xml';
import { WarningsService } from './warnings.service';

const positiveId = new ZodValidationPipe(z.string().regex(/^[1-9]\d{0,15}$/, 'id: must be a positive whole number').transform(Number));
const identifier = new ZodValidationPipe(z.uuid('identifier: must be a CAP message identifier from this server'));

/** Public warnings for anyone, without a login: nothing in them names a person or an incident. */
@Controller('api/public')
export class PublicWarningsController {
  constructor(private readonly warnings: WarningsService) {}

  /** Active warnings (not cancelled, not expired), newest first, in Vietnamese and English. */
  @Get('warnings')
  @Public()
  list(): Promise<PublicWarningDto[]> {
    return this.warnings.publicList();
  }

  /** The same as an Atom 1.0 feed, each entry linking to its newest CAP message. */
  @Get('warnings.atom')
  @Public()
  async atom(@Res({ passthrough: true }) res: Response): Promise<string> {
    const xml = await this.warnings.atom();
    res.type(ATOM_MEDIA_TYPE);
    return xml;
  }

  /** The newest CAP 1.2 message of a warning: its Alert, its latest Update or its Cancel. */
  @Get('warnings/:id/cap')
  @Public()
  async cap(@Param('id', positiveId) id: number, @Res({ passthrough: true }) res: Response): Promise<string> {
    const xml = await this.warnings.newestCap(id);
    res.type(CAP_MEDIA_TYPE);
    return xml;
  }

  /** One CAP message as it was sent, by its identifier, as the references of later messages name it. */
  @Get('warnings/messages/:identifier')
  @Public()
  async message(@Param('identifier', identifier) id: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    const xml = await this.warnings.messageCap(id);
    res.type(CAP_MEDIA_TYPE);
    return xml;
  }
}
