import { Injectable } from '@nestjs/common';
import type { CreateSilence, ListSilencesQuery, SilenceDto } from '@ioc/contracts';
import { ErrorCode, IocError } from '@ioc/common';
import { AreasService } from '@ioc/areas';
import { DevicesService } from '@ioc/devices';
import type { SilenceWindow } from '../suppression';
import { RulesRepository } from './rules.repository';
import { SilencesRepository } from './silences.repository';

const toWindow = (s: SilenceDto): SilenceWindow => ({
  id: s.id,
  ruleId: s.ruleId,
  deviceId: s.deviceId,
  areaId: s.areaId,
  startsAt: Date.parse(s.startsAt),
  endsAt: Date.parse(s.endsAt),
});

/**
 * Maintenance windows. The silences not over yet are held in memory for the live path; one that
 * ends (on time or early) is handed once to the live service, which releases what it held back.
 */
@Injectable()
export class SilencesService {
  private readonly running = new Map<number, SilenceWindow>();

  constructor(
    private readonly repository: SilencesRepository,
    private readonly rules: RulesRepository,
    private readonly devices: DevicesService,
    private readonly areas: AreasService,
  ) {}

  /** Called by the live service as it starts, before any alert is matched. */
  async load(): Promise<void> {
    for (const s of await this.repository.running()) this.running.set(s.id, toWindow(s));
  }

  windows(): Iterable<SilenceWindow> {
    return this.running.values();
  }

  /** Silences over by `now` since the last call. */
  takeEnded(now: number): SilenceWindow[] {
    const ended: SilenceWindow[] = [];
    for (const s of this.running.values()) {
      if (s.endsAt <= now) {
        ended.push(s);
        this.running.delete(s.id);
      }
    }
    return ended;
  }

  list(query: ListSilencesQuery): Promise<SilenceDto[]> {
    return this.repository.list(query);
  }

  async get(id: number): Promise<SilenceDto> {
    const silence = await this.repository.find(id);
    if (!silence) throw notFound(id);
    return silence;
  }

  async create(input: CreateSilence, by: string): Promise<SilenceDto> {
    if (Date.parse(input.endsAt) <= Date.now()) throw new IocError(ErrorCode.Invalid, 'endsAt: must be in the future');
    if (input.ruleId !== undefined && !(await this.rules.exists(input.ruleId))) {
      throw new IocError(ErrorCode.Invalid, `ruleId: there is no rule ${input.ruleId} (GET /api/rules)`);
    }
    if (input.deviceId !== undefined && !this.devices.get(input.deviceId)) {
      throw new IocError(ErrorCode.Invalid, `deviceId: there is no device ${input.deviceId}`);
    }
    if (input.areaId !== undefined && this.areas.refs([input.areaId]).length === 0) {
      throw new IocError(ErrorCode.Invalid, `areaId: there is no area ${input.areaId} (GET /api/areas)`);
    }
    const silence = await this.repository.insert(input, by);
    this.running.set(silence.id, toWindow(silence));
    return silence;
  }

  async end(id: number, by: string): Promise<SilenceDto> {
    const ended = await this.repository.end(id, by);
    if (!ended) {
      await this.get(id);
      throw new IocError(ErrorCode.Conflict, `silence ${id} has already ended`);
    }
    const window = this.running.get(id);
    if (window) window.endsAt = Date.parse(ended.endsAt);
    return ended;
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `silence ${id} does not exist`);
}
