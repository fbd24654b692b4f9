/**
 * parse.ts — option value parsers for the CLI: a bad value is refused by commander with the
 * option's name ("option '--epochs <n>' argument 'abc' is invalid. expected a positive integer").
 */
import { InvalidArgumentError } from 'commander';
import { type Device, isDevice } from '../tensor/device';

/** An integer >= 1 (epochs, batch sizes, counts). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** An integer >= 0 (seeds). */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** A finite number > 0 (learning rates). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** 1 (gray) or 3 (RGB). */
export function channels(value: string): 1 | 3 {
  if (value !== '1' && value !== '3') throw new InvalidArgumentError('expected 1 or 3');
  return Number(value) as 1 | 3;
}

/** 'cpu', 'cuda' or 'cuda:N'. */
export function device(value: string): Device {
  if (!isDevice(value)) throw new InvalidArgumentError('expected cpu, cuda or cuda:N');
  return value;
}
