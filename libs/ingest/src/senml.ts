import { DEVICE_ID_PATTERN, METRIC_NAME_PATTERN, type Sample } from '@ioc/contracts';
import { conversion, type Conversion } from './units';

export interface SenmlOptions {
  /** The device the MQTT topic names (ioc/v1/{deviceId}/telemetry), or null for a gateway topic. */
  topicDeviceId: string | null;
  /** Server clock, epoch ms: base for relative times. */
  now: number;
  /** The device registered under exactly this SenML name, if any. */
  deviceOfName(name: string): string | undefined;
  /** The unit of a metric of the catalogue as it stands; undefined for a metric it does not have. */
  unitOf(metric: string): string | undefined;
  /** The metrics a device may send: a record whose name names no metric is read by its unit among them. */
  metricsOf(deviceId: string): Iterable<string>;
}

export interface SenmlRejection {
  /** Position of the record in the pack. */
  index: number;
  reason: 'invalid_payload' | 'unknown_metric' | 'unit_mismatch' | 'unsupported';
  message: string;
  deviceId: string | null;
}

export interface SenmlResult {
  samples: Sample[];
  rejections: SenmlRejection[];
}

/** The `bver` of RFC 8428: older versions are subsets of it, newer ones may mean something else. */
const SENML_VERSION = 10;
/** RFC 8428 section 4.5.3: a resolved time below 2**28 s is relative to now, above it is Unix time. */
const RELATIVE_TIME_LIMIT = 2 ** 28;
const NAME_PREFIX = 'urn:dev:ioc:';

/**
 * SenML units that mean one metric's unit and no other, so they convert for that metric only
 * (units that convert for any metric are in ./units).
 */
const METRIC_UNIT_ALIASES: Readonly<Record<string, readonly string[]>> = {
  humidity: ['%RH'],
  // SenML has no A-weighted level; a sound meter reporting for this catalogue says dB for dB(A).
  noise: ['dB'],
  // %EL is SenML's "remaining battery energy level".
  battery: ['%EL'],
};

const BASE_FIELDS = ['bn', 'bt', 'bu', 'bv'] as const;
type BaseField = (typeof BASE_FIELDS)[number];

const FIELD_TYPES = {
  bver: 'number',
  bn: 'string',
  bt: 'number',
  bu: 'string',
  bv: 'number',
  bs: 'number',
  n: 'string',
  u: 'string',
  v: 'number',
  vs: 'string',
  vb: 'boolean',
  vd: 'string',
  s: 'number',
  t: 'number',
  ut: 'number',
} as const;
type Field = keyof typeof FIELD_TYPES;
type FieldType<F extends Field> = { number: number; string: string; boolean: boolean }[(typeof FIELD_TYPES)[F]];
type SenmlRecord = { [F in Field]?: FieldType<F> };

/** A record carries one of these, and may carry a sum (`s`) besides. */
const VALUE_FIELDS = ['v', 'vb', 'vs', 'vd'] as const;
/** Besides a value, what makes a record more than a carrier of base values. */
const RECORD_FIELDS = ['n', 'u', 't', 'ut'] as const;
const ALL_BASE_FIELDS = ['bver', 'bs', ...BASE_FIELDS] as const;

interface Bases {
  bn: string;
  bt: number;
  bu: string | undefined;
  bv: number;
}

/** Base values as the walk through the pack leaves them. */
interface PackState {
  bases: Bases;
  /** Bases that a rejected record tried to set, with that record's index: their value is unknown. */
  lost: Map<BaseField, number>;
}

type Rejected = Omit<SenmlRejection, 'index'>;

/**
 * Decodes a SenML pack (RFC 8428, JSON) into samples: base values carry over from record to
 * record, names resolve to a device and a metric, units must be the metric's. Each bad record is
 * reported on its own and the others are kept. Whether a device may report is the caller's call.
 */
export function decodeSenml(json: unknown[], options: SenmlOptions): SenmlResult {
  if (json.length === 0) {
    return { samples: [], rejections: [{ index: 0, reason: 'invalid_payload', message: 'the pack is empty', deviceId: null }] };
  }
  const version = checkVersion(json);
  if (version) return { samples: [], rejections: [{ index: 0, ...version }] };

  const state: PackState = { bases: { bn: '', bt: 0, bu: undefined, bv: 0 }, lost: new Map() };
  const samples: Sample[] = [];
  const rejections: SenmlRejection[] = [];
  for (const [index, raw] of json.entries()) {
    const decoded = decodeRecord(raw, index, state, options);
    if (decoded === null) continue;
    if ('reason' in decoded) rejections.push({ index, ...decoded });
    else samples.push(decoded);
  }
  return { samples, rejections };
}

/** RFC 8428 section 4.4: a reader must refuse a pack of a version newer than its own. */
function checkVersion(pack: unknown[]): Rejected | null {
  for (const [index, raw] of pack.entries()) {
    if (!isObject(raw) || !Object.hasOwn(raw, 'bver')) continue;
    const { bver } = raw;
    if (typeof bver !== 'number' || !Number.isInteger(bver) || bver < 1) {
      return { reason: 'invalid_payload', message: `bver of record ${index} is not a positive whole number`, deviceId: null };
    }
    if (bver > SENML_VERSION) {
      return { reason: 'unsupported', message: `SenML version ${bver} (record ${index}) is newer than ${SENML_VERSION}, the newest this server reads`, deviceId: null };
    }
  }
  return null;
}

function decodeRecord(raw: unknown, index: number, state: PackState, options: SenmlOptions): Sample | Rejected | null {
  if (!isObject(raw)) return invalid(`is ${describeJson(raw)}, not an object`);

  const parsed = parseFields(raw);
  if ('reason' in parsed) {
    // The record's base fields are not applied, so records relying on them must not guess.
    for (const field of BASE_FIELDS) if (Object.hasOwn(raw, field)) state.lost.set(field, index);
    return { ...parsed, deviceId: guessDeviceId(raw, state, options) };
  }
  const record = parsed;
  for (const field of BASE_FIELDS) {
    if (record[field] === undefined) continue;
    state.bases = { ...state.bases, [field]: record[field] };
    state.lost.delete(field);
  }

  const valueFields = VALUE_FIELDS.filter((f) => record[f] !== undefined);
  if (valueFields.length === 0 && record.s === undefined) {
    if (RECORD_FIELDS.some((f) => record[f] !== undefined) || !ALL_BASE_FIELDS.some((f) => record[f] !== undefined)) {
      return invalid('has no value (v, vb, vs, vd or s)');
    }
    return null;
  }

  const needed: BaseField[] = ['bn', 'bt'];
  if (record.v !== undefined) needed.push('bv');
  if (record.u === undefined) needed.push('bu');
  const lost = needed.find((f) => state.lost.has(f));
  if (lost) return invalid(`depends on ${lost} of record ${state.lost.get(lost)}, which was rejected`);

  const { bases } = state;
  const name = bases.bn + (record.n ?? '');
  const resolved = resolveName(name, options);
  if ('reason' in resolved) return resolved;
  const { deviceId } = resolved;

  if (valueFields.length > 1) return invalid(`${name} has more than one value field (${valueFields.join(', ')})`, deviceId);
  const unstored = record.s !== undefined ? 'a sum (s)' : record.vs !== undefined ? 'a string value (vs)' : record.vd !== undefined ? 'a data value (vd)' : null;
  if (unstored) return { reason: 'unsupported', message: `${name}: ${unstored} is not stored, only v and vb are`, deviceId };

  const unit = record.u ?? bases.bu;
  const measured = resolved.metric === null ? metricOfUnit(name, deviceId, unit, options) : metricNamed(name, deviceId, resolved.metric, unit, options);
  if ('reason' in measured) return measured;
  const { metric, convert } = measured;

  const value = record.vb === undefined ? convert(bases.bv + (record.v ?? 0)) : Number(record.vb);
  if (!Number.isFinite(value)) return invalid(`${name}: bv + v is not a finite number`, deviceId);
  const seconds = bases.bt + (record.t ?? 0);
  if (!Number.isFinite(seconds)) return invalid(`${name}: bt + t is not a finite number`, deviceId);
  const ts = seconds < RELATIVE_TIME_LIMIT ? Math.round(options.now + seconds * 1000) : Math.round(seconds * 1000);
  return { deviceId, metric, ts, value };
}

type Measured = { metric: string; convert: Conversion } | Rejected;

const unchanged: Conversion = (value) => value;

/** A record naming its metric: the metric must be in the catalogue, and the unit the metric's or one that converts to it. */
function metricNamed(name: string, deviceId: string, metric: string, unit: string | undefined, options: SenmlOptions): Measured {
  const metricUnit = options.unitOf(metric);
  if (metricUnit === undefined) return { reason: 'unknown_metric', message: `${name}: ${metric} is not in the metric catalogue`, deviceId };
  const convert = unit === undefined ? unchanged : unitConversion(metric, metricUnit, unit);
  if (!convert) {
    return { reason: 'unit_mismatch', message: `${name}: unit ${unit} is not ${metricUnit}, the unit of ${metric}, nor converts to it`, deviceId };
  }
  return { metric, convert };
}

/** A record whose name is only its device's: the unit chooses among the metrics the device may send. */
function metricOfUnit(name: string, deviceId: string, unit: string | undefined, options: SenmlOptions): Measured {
  if (unit === undefined) return invalid(`${name} names no metric, and has no unit to choose one by`, deviceId);
  const fits: { metric: string; convert: Conversion }[] = [];
  for (const metric of options.metricsOf(deviceId)) {
    const metricUnit = options.unitOf(metric);
    const convert = metricUnit === undefined ? null : unitConversion(metric, metricUnit, unit);
    if (convert) fits.push({ metric, convert });
  }
  if (fits.length === 1) return fits[0];
  const message =
    fits.length === 0
      ? `${name} names no metric, and none that ${deviceId} may send is measured in ${unit}`
      : `${name} names no metric, and ${unit} fits several that ${deviceId} may send (${fits.map((f) => f.metric).join(', ')}): name it`;
  return { reason: 'unknown_metric', message, deviceId };
}

function unitConversion(metric: string, metricUnit: string, unit: string): Conversion | null {
  if (METRIC_UNIT_ALIASES[metric]?.includes(unit)) return unchanged;
  return conversion(unit, metricUnit);
}

/** Checks the types of the known fields; `_`-suffixed fields are RFC 8428's "must understand". */
function parseFields(raw: Record<string, unknown>): SenmlRecord | Omit<Rejected, 'deviceId'> {
  const mustUnderstand = Object.keys(raw).filter((k) => k.endsWith('_'));
  if (mustUnderstand.length > 0) {
    return { reason: 'unsupported', message: `carries fields this server does not understand: ${mustUnderstand.join(', ')}` };
  }
  const record: Record<string, unknown> = {};
  for (const [field, type] of Object.entries(FIELD_TYPES)) {
    if (!Object.hasOwn(raw, field)) continue;
    const value = raw[field];
    if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) {
      const expected = type === 'number' ? 'a finite number' : `a ${type}`;
      return { reason: 'invalid_payload', message: `${field} is ${describeJson(value)}, not ${expected}` };
    }
    record[field] = value;
  }
  return record as SenmlRecord;
}

/**
 * Splits a resolved name into device and metric. A registered SenML name alone (the metric then
 * comes from the unit), or followed by a separator and the metric; otherwise
 * `[urn:dev:ioc:]{deviceId}{/ or :}{metric}`, or a bare metric of the topic's device.
 */
function resolveName(name: string, options: SenmlOptions): { deviceId: string; metric: string | null } | Rejected {
  if (name === '') return invalid('has no name (bn + n is empty)');
  const registered = options.deviceOfName(name);
  if (registered !== undefined) return { deviceId: registered, metric: null };
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf(':'));
  if (cut > 0) {
    const owner = options.deviceOfName(name.slice(0, cut)) ?? options.deviceOfName(name.slice(0, cut + 1));
    if (owner !== undefined) return withMetric(name, owner, name.slice(cut + 1));
  }
  const local = name.startsWith(NAME_PREFIX) ? name.slice(NAME_PREFIX.length) : name;
  const localCut = Math.max(local.lastIndexOf('/'), local.lastIndexOf(':'));
  let deviceId: string;
  if (localCut >= 0) {
    deviceId = local.slice(0, localCut);
    if (!DEVICE_ID_PATTERN.test(deviceId)) return invalid(`name ${name}: ${deviceId || '(empty)'} is neither a device id nor a registered SenML name`);
  } else if (options.topicDeviceId === null) {
    return invalid(`name ${name} names no device: a gateway pack names each device in its names`);
  } else {
    deviceId = options.topicDeviceId;
  }
  return withMetric(name, deviceId, local.slice(localCut + 1));
}

function withMetric(name: string, deviceId: string, metric: string): { deviceId: string; metric: string } | Rejected {
  if (!METRIC_NAME_PATTERN.test(metric)) return invalid(`name ${name}: ${metric || '(empty)'} is not a metric name`, deviceId);
  return { deviceId, metric };
}

/** The device a rejected record was about, when its name still resolves: dead letters are filed by device. */
function guessDeviceId(raw: Record<string, unknown>, state: PackState, options: SenmlOptions): string | null {
  const bn = Object.hasOwn(raw, 'bn') ? raw.bn : state.lost.has('bn') ? undefined : state.bases.bn;
  const n = raw.n ?? '';
  if (typeof bn !== 'string' || typeof n !== 'string') return null;
  const resolved = resolveName(bn + n, options);
  return 'reason' in resolved ? null : resolved.deviceId;
}

function invalid(message: string, deviceId: string | null = null): Rejected {
  return { reason: 'invalid_payload', message, deviceId };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
