import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AreaDto, AreaRef } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { AreaIndex } from './area-index';
import { parseAreaFile } from './area-file';
import { AreasRepository } from './areas.repository';

export const PILOT_AREAS_FILE = join(__dirname, '..', 'data', 'pilot-areas.geojson');

@Injectable()
export class AreasService implements OnModuleInit {
  private readonly logger = new Logger(AreasService.name);
  private index = new AreaIndex([]);

  constructor(
    private readonly repository: AreasRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const file = this.config.AREAS_FILE ?? PILOT_AREAS_FILE;
    let areas: AreaDto[];
    try {
      areas = parseAreaFile(JSON.parse(await readFile(file, 'utf8')));
    } catch (err) {
      throw new Error(`AREAS_FILE ${file}: ${(err as Error).message}`);
    }
    await this.repository.upsert(areas);
    this.index = new AreaIndex(await this.repository.findAll());
    this.logger.log(`${this.index.all().length} areas loaded from ${file}`);
  }

  list(): readonly AreaDto[] {
    return this.index.all();
  }

  containing(lat: number, lng: number): AreaRef[] {
    return this.index.containing(lat, lng);
  }

  refs(ids: readonly string[]): AreaRef[] {
    return this.index.refs(ids);
  }
}
