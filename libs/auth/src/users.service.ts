import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { CreateUser, ManagedUserDto, Role, TeamDto, UpdateUser } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, IocError } from '@ioc/common';
import { AuthService, toUserDto } from './auth.service';
import { IdentityRepository, type UserRecord } from './identity.repository';
import { hashPassword } from './secrets';

/** One user per role for the demo; passwords are `<username>-demo-2026` and documented in the README. */
export const DEMO_USERS: { username: string; displayName: string; role: Role; team?: string }[] = [
  { username: 'admin', displayName: 'Quản trị hệ thống', role: 'admin' },
  { username: 'truongca', displayName: 'Trưởng ca Nguyễn Văn An', role: 'supervisor' },
  { username: 'canbotruc', displayName: 'Cán bộ trực Trần Thị Bình', role: 'operator' },
  { username: 'hientruong', displayName: 'Lê Văn Cường', role: 'field', team: 'Tổ xử lý hiện trường Mỹ Tho' },
  { username: 'nguoixem', displayName: 'Phạm Thu Dung', role: 'viewer' },
];
export const demoPassword = (username: string) => `${username}-demo-2026`;

const toManagedUserDto = (u: UserRecord): ManagedUserDto => ({ ...toUserDto(u), email: u.email });

@Injectable()
export class UsersService implements OnModuleInit {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly repository: IdentityRepository,
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const { IOC_ADMIN_USERNAME: username, IOC_ADMIN_PASSWORD: password } = this.config;
    if (username && password && (await this.repository.countUsers()) === 0) {
      await this.repository.insertUser({
        username,
        displayName: 'Quản trị hệ thống',
        role: 'admin',
        teamId: null,
        passwordHash: await hashPassword(password),
      });
      this.logger.log(`first administrator "${username}" created`);
    }
    if (this.config.IOC_DEMO_USERS) await this.seedDemoUsers();
    if ((await this.repository.countUsers()) === 0) {
      this.logger.warn('no user exists: set IOC_ADMIN_USERNAME and IOC_ADMIN_PASSWORD to create the first administrator');
    }
  }

  async list(): Promise<ManagedUserDto[]> {
    return (await this.repository.findUsers()).map(toManagedUserDto);
  }

  async create(input: CreateUser): Promise<ManagedUserDto> {
    const created = await this.repository.insertUser({
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      teamId: await this.teamOf(input.role, input.teamId),
      email: input.email,
      passwordHash: await hashPassword(input.password),
    });
    if (!created) throw new IocError(ErrorCode.Conflict, `user ${input.username} already exists`);
    return toManagedUserDto(created);
  }

  async update(id: number, patch: UpdateUser): Promise<ManagedUserDto> {
    const current = await this.repository.findUserById(id);
    if (!current) throw new IocError(ErrorCode.NotFound, `user ${id} does not exist`);
    const role = patch.role ?? current.role;
    const updated = await this.repository.updateUser(id, {
      displayName: patch.displayName,
      role: patch.role,
      teamId: patch.teamId !== undefined || patch.role !== undefined ? await this.teamOf(role, patch.teamId ?? current.teamId) : undefined,
      email: patch.email,
      disabled: patch.disabled,
      passwordHash: patch.password ? await hashPassword(patch.password) : undefined,
    });
    if (!updated) throw new IocError(ErrorCode.NotFound, `user ${id} does not exist`);
    // Tokens carry the role and team: a changed role, team or password or a disabled account ends every session now.
    const teamChanged = updated.teamId !== current.teamId;
    if (patch.role !== undefined || teamChanged || patch.password !== undefined || patch.disabled === true) {
      await this.auth.revokeAllOf(id);
    }
    return toManagedUserDto(updated);
  }

  teams(): Promise<TeamDto[]> {
    return this.repository.findTeams();
  }

  async createTeam(name: string): Promise<TeamDto> {
    const team = await this.repository.insertTeam(name);
    if (!team) throw new IocError(ErrorCode.Conflict, `team "${name}" already exists`);
    return team;
  }

  /** A field user must belong to a team; nobody else needs one. */
  private async teamOf(role: Role, teamId: number | null): Promise<number | null> {
    if (role !== 'field') return teamId;
    if (teamId === null) throw new IocError(ErrorCode.Invalid, 'teamId: a field user must belong to a team');
    if (!(await this.repository.findTeams()).some((t) => t.id === teamId)) {
      throw new IocError(ErrorCode.Invalid, `teamId: team ${teamId} does not exist`);
    }
    return teamId;
  }

  private async seedDemoUsers(): Promise<void> {
    let created = 0;
    for (const demo of DEMO_USERS) {
      let teamId: number | null = null;
      if (demo.team) {
        teamId =
          (await this.repository.insertTeam(demo.team))?.id ??
          (await this.repository.findTeams()).find((t) => t.name === demo.team)!.id;
      }
      const user = await this.repository.insertUser({
        username: demo.username,
        displayName: demo.displayName,
        role: demo.role,
        teamId,
        passwordHash: await hashPassword(demoPassword(demo.username)),
      });
      if (user) created += 1;
    }
    if (created > 0) this.logger.warn(`${created} demo users created with documented passwords: not for production`);
  }
}
