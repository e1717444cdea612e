import { z } from 'zod';
import type { CreateDeviceInput } from '@ioc/contracts';

/**
 * Metadata the simulated stations carry. The server stores metadata as given; these shapes are what
 * the simulator itself relies on, so the console and rules can read the same values.
 */
export const alarmLevelsSchema = z.object({ bd1: z.number(), bd2: z.number(), bd3: z.number() });
export type AlarmLevels = z.infer<typeof alarmLevelsSchema>;

export const waterStationMetadataSchema = z.object({
  waterBody: z.string(),
  /** Along the waterway from the river mouth: drives tidal range, tidal lag and salinity. */
  distanceFromMouthKm: z.number().nonnegative(),
  /** Water level relative to the national datum (Hòn Dấu), in metres. */
  alarmLevels: alarmLevelsSchema.optional(),
});
export type WaterStationMetadata = z.infer<typeof waterStationMetadataSchema>;

export const AIR_SETTINGS = ['riverside', 'urban', 'roadside', 'industrial'] as const;
export const airStationMetadataSchema = z.object({ setting: z.enum(AIR_SETTINGS) });
export type AirStationMetadata = z.infer<typeof airStationMetadataSchema>;

export const ROAD_CLASSES = ['national', 'urban'] as const;
export const cameraMetadataSchema = z.object({ road: z.string(), roadClass: z.enum(ROAD_CLASSES) });
export type CameraMetadata = z.infer<typeof cameraMetadataSchema>;

type LatLng = readonly [lat: number, lng: number];

function waterLevelStation(
  id: string,
  name: string,
  [lat, lng]: LatLng,
  metadata: Required<WaterStationMetadata>,
): CreateDeviceInput {
  return { id, kind: 'water_level', name, lat, lng, metadata: { ...metadata, datum: 'Hòn Dấu' } };
}

function salinityStation(
  id: string,
  name: string,
  [lat, lng]: LatLng,
  metadata: WaterStationMetadata,
): CreateDeviceInput {
  return { id, kind: 'salinity', name, lat, lng, metadata };
}

function airStation(id: string, name: string, [lat, lng]: LatLng, metadata: AirStationMetadata): CreateDeviceInput {
  return { id, kind: 'air_quality', name, lat, lng, metadata };
}

function camera(id: string, name: string, [lat, lng]: LatLng, metadata: CameraMetadata): CreateDeviceInput {
  return { id, kind: 'traffic_camera', name, lat, lng, metadata };
}

const TIEN = 'Sông Tiền';
const BAO_DINH = 'Kênh Bảo Định';
const CUA_TIEU = 'Sông Cửa Tiểu';
const SOAI_RAP = 'Sông Soài Rạp';
const MY_THO_LEVELS: AlarmLevels = { bd1: 1.6, bd2: 1.8, bd3: 2.0 };

/** The pilot's simulated fleet: Mỹ Tho city and Gò Công Đông district. Order is stable. */
export const FLEET: readonly CreateDeviceInput[] = [
  waterLevelStation('mt-wl-01', 'Trạm đo mực nước sông Tiền – Mỹ Tho', [10.349, 106.356], {
    waterBody: TIEN,
    distanceFromMouthKm: 46,
    alarmLevels: MY_THO_LEVELS,
  }),
  waterLevelStation('mt-wl-02', 'Trạm đo mực nước Cầu Quay', [10.3555, 106.3628], {
    waterBody: BAO_DINH,
    distanceFromMouthKm: 47,
    alarmLevels: MY_THO_LEVELS,
  }),
  waterLevelStation('mt-wl-03', 'Trạm đo mực nước kênh Bảo Định – cầu Nguyễn Trãi', [10.3625, 106.3612], {
    waterBody: BAO_DINH,
    distanceFromMouthKm: 48,
    alarmLevels: { bd1: 1.5, bd2: 1.7, bd3: 1.9 },
  }),
  waterLevelStation('mt-wl-04', 'Trạm đo mực nước cầu Rạch Miễu', [10.351, 106.386], {
    waterBody: TIEN,
    distanceFromMouthKm: 45,
    alarmLevels: MY_THO_LEVELS,
  }),
  waterLevelStation('mt-wl-05', 'Trạm đo mực nước cồn Thới Sơn', [10.339, 106.356], {
    waterBody: TIEN,
    distanceFromMouthKm: 46,
    alarmLevels: MY_THO_LEVELS,
  }),
  waterLevelStation('mt-wl-06', 'Trạm đo mực nước Trung An', [10.3445, 106.315], {
    waterBody: TIEN,
    distanceFromMouthKm: 49,
    alarmLevels: MY_THO_LEVELS,
  }),
  waterLevelStation('mt-wl-07', 'Trạm đo mực nước Mỹ Phong', [10.348, 106.415], {
    waterBody: TIEN,
    distanceFromMouthKm: 43,
    alarmLevels: MY_THO_LEVELS,
  }),
  waterLevelStation('gcd-wl-01', 'Trạm đo mực nước Vàm Kênh', [10.268, 106.768], {
    waterBody: CUA_TIEU,
    distanceFromMouthKm: 2,
    alarmLevels: { bd1: 1.8, bd2: 2.0, bd3: 2.2 },
  }),
  waterLevelStation('gcd-wl-02', 'Trạm đo mực nước Vàm Láng', [10.392, 106.744], {
    waterBody: SOAI_RAP,
    distanceFromMouthKm: 5,
    alarmLevels: { bd1: 1.8, bd2: 2.0, bd3: 2.2 },
  }),
  waterLevelStation('gcd-wl-03', 'Trạm đo mực nước sông Cửa Tiểu – Bình Nghị', [10.238, 106.7], {
    waterBody: CUA_TIEU,
    distanceFromMouthKm: 9,
    alarmLevels: { bd1: 1.7, bd2: 1.9, bd3: 2.1 },
  }),

  salinityStation('gcd-sal-01', 'Trạm đo độ mặn Vàm Kênh', [10.266, 106.7635], {
    waterBody: CUA_TIEU,
    distanceFromMouthKm: 2,
  }),
  salinityStation('gcd-sal-02', 'Trạm đo độ mặn Vàm Láng', [10.396, 106.747], {
    waterBody: SOAI_RAP,
    distanceFromMouthKm: 6,
  }),
  salinityStation('gcd-sal-03', 'Trạm đo độ mặn Tân Hòa', [10.318, 106.725], {
    waterBody: 'Rạch Gò Công',
    distanceFromMouthKm: 30,
  }),
  salinityStation('gcd-sal-04', 'Trạm đo độ mặn Tân Thành', [10.285, 106.776], {
    waterBody: CUA_TIEU,
    distanceFromMouthKm: 3,
  }),
  salinityStation('gcd-sal-05', 'Trạm đo độ mặn Kiểng Phước', [10.405, 106.73], {
    waterBody: SOAI_RAP,
    distanceFromMouthKm: 12,
  }),
  salinityStation('gcd-sal-06', 'Trạm đo độ mặn Bình Nghị', [10.235, 106.708], {
    waterBody: CUA_TIEU,
    distanceFromMouthKm: 10,
  }),
  salinityStation('gcd-sal-07', 'Trạm đo độ mặn Tăng Hòa', [10.245, 106.67], {
    waterBody: CUA_TIEU,
    distanceFromMouthKm: 16,
  }),
  salinityStation('gcd-sal-08', 'Trạm đo độ mặn Phước Trung', [10.3, 106.68], {
    waterBody: 'Kênh Salicette',
    distanceFromMouthKm: 22,
  }),
  salinityStation('mt-sal-01', 'Trạm đo độ mặn sông Tiền – Mỹ Tho', [10.3492, 106.359], {
    waterBody: TIEN,
    distanceFromMouthKm: 46,
  }),
  salinityStation('mt-sal-02', 'Trạm đo độ mặn Mỹ Phong', [10.3462, 106.422], {
    waterBody: TIEN,
    distanceFromMouthKm: 43,
  }),

  airStation('mt-aq-01', 'Trạm quan trắc không khí đường 30 Tháng 4', [10.3515, 106.3665], { setting: 'riverside' }),
  airStation('mt-aq-02', 'Trạm quan trắc không khí vòng xoay Ấp Bắc', [10.37, 106.35], { setting: 'roadside' }),
  airStation('mt-aq-03', 'Trạm quan trắc không khí Trung Lương', [10.396, 106.339], { setting: 'roadside' }),
  airStation('mt-aq-04', 'Trạm quan trắc không khí chợ Mỹ Tho', [10.3545, 106.3595], { setting: 'urban' }),
  airStation('mt-aq-05', 'Trạm quan trắc không khí đường Hùng Vương', [10.361, 106.364], { setting: 'urban' }),
  airStation('mt-aq-06', 'Trạm quan trắc không khí đường Lý Thường Kiệt', [10.362, 106.356], { setting: 'roadside' }),
  airStation('mt-aq-07', 'Trạm quan trắc không khí khu công nghiệp Mỹ Tho', [10.362, 106.312], {
    setting: 'industrial',
  }),
  airStation('mt-aq-08', 'Trạm quan trắc không khí đường Nguyễn Thị Thập', [10.37, 106.372], { setting: 'roadside' }),
  airStation('mt-aq-09', 'Trạm quan trắc không khí Đạo Thạnh', [10.38, 106.39], { setting: 'urban' }),
  airStation('mt-aq-10', 'Trạm quan trắc không khí Tân Mỹ Chánh', [10.365, 106.418], { setting: 'urban' }),

  camera('mt-cam-01', 'Camera giao thông vòng xoay Trung Lương (QL1)', [10.3935, 106.3365], {
    road: 'QL1',
    roadClass: 'national',
  }),
  camera('mt-cam-02', 'Camera giao thông QL1 – ngã ba Trung Lương hướng Cai Lậy', [10.396, 106.325], {
    road: 'QL1',
    roadClass: 'national',
  }),
  camera('mt-cam-03', 'Camera giao thông QL1 – Phường 10', [10.399, 106.3445], { road: 'QL1', roadClass: 'national' }),
  camera('mt-cam-04', 'Camera giao thông QL60 – đầu cầu Rạch Miễu', [10.3525, 106.385], {
    road: 'QL60',
    roadClass: 'national',
  }),
  camera('mt-cam-05', 'Camera giao thông vòng xoay Ấp Bắc', [10.3695, 106.3502], {
    road: 'Ấp Bắc',
    roadClass: 'urban',
  }),
  camera('mt-cam-06', 'Camera giao thông nút Ấp Bắc – Lê Văn Phẩm', [10.378, 106.344], {
    road: 'Ấp Bắc',
    roadClass: 'urban',
  }),
  camera('mt-cam-07', 'Camera giao thông nút Hùng Vương – Nam Kỳ Khởi Nghĩa', [10.36, 106.363], {
    road: 'Hùng Vương',
    roadClass: 'urban',
  }),
  camera('mt-cam-08', 'Camera giao thông nút Lý Thường Kiệt – Hùng Vương', [10.3585, 106.36], {
    road: 'Lý Thường Kiệt',
    roadClass: 'urban',
  }),
  camera('mt-cam-09', 'Camera giao thông Cầu Quay – đường 30 Tháng 4', [10.354, 106.363], {
    road: '30 Tháng 4',
    roadClass: 'urban',
  }),
  camera('mt-cam-10', 'Camera giao thông nút Nguyễn Trãi – Lê Lợi', [10.357, 106.358], {
    road: 'Nguyễn Trãi',
    roadClass: 'urban',
  }),
  camera('mt-cam-11', 'Camera giao thông QL50 – Lê Thị Hồng Gấm', [10.372, 106.38], {
    road: 'QL50',
    roadClass: 'national',
  }),
  camera('mt-cam-12', 'Camera giao thông QL50 – ngã tư Đạo Thạnh', [10.376, 106.395], {
    road: 'QL50',
    roadClass: 'national',
  }),
  camera('mt-cam-13', 'Camera giao thông QL50 – Tân Mỹ Chánh', [10.377, 106.42], {
    road: 'QL50',
    roadClass: 'national',
  }),
  camera('mt-cam-14', 'Camera giao thông nút Trần Hưng Đạo – Đinh Bộ Lĩnh', [10.356, 106.37], {
    road: 'Trần Hưng Đạo',
    roadClass: 'urban',
  }),
  camera('mt-cam-15', 'Camera giao thông nút Học Lạc – Trưng Trắc', [10.3525, 106.361], {
    road: 'Trưng Trắc',
    roadClass: 'urban',
  }),
  camera('mt-cam-16', 'Camera giao thông bến xe Tiền Giang', [10.384, 106.347], { road: 'Ấp Bắc', roadClass: 'urban' }),
  camera('mt-cam-17', 'Camera giao thông QL60 – Nguyễn Thị Thập', [10.376, 106.371], {
    road: 'QL60',
    roadClass: 'national',
  }),
  camera('mt-cam-18', 'Camera giao thông đường Lê Văn Phẩm – Phường 5', [10.38, 106.352], {
    road: 'Lê Văn Phẩm',
    roadClass: 'urban',
  }),
  camera('mt-cam-19', 'Camera giao thông nút Ấp Bắc – Lý Thường Kiệt', [10.364, 106.3545], {
    road: 'Ấp Bắc',
    roadClass: 'urban',
  }),
  camera('mt-cam-20', 'Camera giao thông QL1 – xã Trung An', [10.388, 106.312], { road: 'QL1', roadClass: 'national' }),
];

/** The station's flood alarm levels, or null when its metadata has none. */
export function alarmLevelsOf(device: CreateDeviceInput): AlarmLevels | null {
  const parsed = alarmLevelsSchema.safeParse(device.metadata?.alarmLevels);
  return parsed.success ? parsed.data : null;
}
