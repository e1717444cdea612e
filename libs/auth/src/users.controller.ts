import { Body, Controller, Get, Param, ParseIntPipe, Patch, Post, Query } from '@nestjs/common';
import {
  createTeamSchema,
  createUserSchema,
  listAuditQuerySchema,
  updateUserSchema,
  type AuditEntryDto,
  type CreateTeam,
  type CreateUser,
  type ListAuditQuery,
  type ManagedUserDto,
  type TeamDto,
  type UpdateUser,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow } from './access.decorator';
import { IdentityRepository } from './identity.repository';
import { UsersService } from './users.service';

@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Allow('admin')
  list(): Promise<ManagedUserDto[]> {
    return this.users.list();
  }

  @Post()
  @Allow('admin')
  @ApiZodBody(createUserSchema)
  create(@Body(new ZodValidationPipe(createUserSchema)) body: CreateUser): Promise<ManagedUserDto> {
    return this.users.create(body);
  }

  @Patch(':id')
  @Allow('admin')
  @ApiZodBody(updateUserSchema)
  update(@Param('id', ParseIntPipe) id: number, @Body(new ZodValidationPipe(updateUserSchema)) body: UpdateUser): Promise<ManagedUserDto> {
    return this.users.update(id, body);
  }
}

@Controller('api/teams')
export class TeamsController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Allow('admin', 'supervisor', 'operator')
  list(): Promise<TeamDto[]> {
    return this.users.teams();
  }

  @Post()
  @Allow('admin')
  @ApiZodBody(createTeamSchema)
  create(@Body(new ZodValidationPipe(createTeamSchema)) body: CreateTeam): Promise<TeamDto> {
    return this.users.createTeam(body.name);
  }
}

@Controller('api/audit')
export class AuditController {
  constructor(private readonly repository: IdentityRepository) {}

  @Get()
  @Allow('admin', 'supervisor')
  list(@Query(new ZodValidationPipe(listAuditQuerySchema)) query: ListAuditQuery): Promise<AuditEntryDto[]> {
    return this.repository.findAudit(query);
  }
}
