import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import {
  createDeviceSchema,
  replaceDeviceSchema,
  updateDeviceSchema,
  DEVICE_ID_PATTERN,
  type CreateDevice,
  type DeviceCredentialsDto,
  type DeviceDto,
  type ProvisionedDeviceDto,
  type ReplaceDevice,
  type UpdateDevice,
} from '@ioc/contracts';
import { ErrorCode, IocError, ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, READERS } from '@ioc/auth';
import { DevicesService } from './devices.service';

/** A device id from a route parameter, or a 400 naming the rule. */
export function deviceId(id: string): string {
  if (!DEVICE_ID_PATTERN.test(id)) {
    throw new IocError(ErrorCode.Invalid, 'id: lower-case letters, digits, "-" and "_", at most 64');
  }
  return id;
}

@Controller('api/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @Allow(...READERS.devices)
  list(): Promise<DeviceDto[]> {
    return this.devices.list();
  }

  @Get(':id')
  @Allow(...READERS.devices)
  get(@Param('id') id: string): Promise<DeviceDto> {
    return this.devices.findOne(deviceId(id));
  }

  @Post()
  @Allow('admin', 'supervisor')
  @ApiZodBody(createDeviceSchema)
  create(@Body(new ZodValidationPipe(createDeviceSchema)) body: CreateDevice): Promise<ProvisionedDeviceDto> {
    return this.devices.create(body);
  }

  @Put(':id')
  @Allow('admin', 'supervisor')
  @ApiZodBody(replaceDeviceSchema)
  replace(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(replaceDeviceSchema)) body: ReplaceDevice,
  ): Promise<DeviceDto> {
    return this.devices.replace(deviceId(id), body);
  }

  @Patch(':id')
  @Allow('admin', 'supervisor')
  @ApiZodBody(updateDeviceSchema)
  update(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(updateDeviceSchema)) body: UpdateDevice,
  ): Promise<DeviceDto> {
    return this.devices.update(deviceId(id), body);
  }

  @Post(':id/credentials')
  @Allow('admin', 'supervisor')
  issueCredentials(@Param('id') id: string): Promise<DeviceCredentialsDto> {
    return this.devices.issueCredentials(deviceId(id));
  }

  @Delete(':id/credentials')
  @Allow('admin', 'supervisor')
  revokeCredentials(@Param('id') id: string): Promise<DeviceDto> {
    return this.devices.revokeCredentials(deviceId(id));
  }

  @Delete(':id')
  @Allow('admin', 'supervisor')
  @HttpCode(204)
  remove(@Param('id') id: string): Promise<void> {
    return this.devices.remove(deviceId(id));
  }
}
