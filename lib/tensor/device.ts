/**
 * device.ts — device names ('cpu', 'cuda', 'cuda:N') and their validation.
 */
import { invalidValue } from '../errors';

/** Where a tensor lives: PyTorch device strings. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

/** Whether a value is a device string. */
export function isDevice(device: unknown): device is Device {
  return typeof device === 'string' && DEVICE_PATTERN.test(device);
}

/** Validates a device string (throws RangeError naming the op). */
export function checkDevice(op: string, device: unknown): Device {
  if (!isDevice(device)) {
    throw invalidValue(op, 'device', "'cpu', 'cuda' or 'cuda:N'", device);
  }
  return device as Device;
}
