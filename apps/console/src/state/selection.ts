/** A request to show a device; `seq` makes selecting the same device again a new request. */
export interface Selection {
  deviceId: string;
  seq: number;
}
