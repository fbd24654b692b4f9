import { beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectTensorClose, refValue, torchReference, type RefResult } from './helpers/torch';

describe('smoke', () => {
  const x = nt.randn([3, 4]);
  const y = nt.randn([4]);
  let refs: RefResult[];
  beforeAll(() => {
    refs = torchReference([{ inputs: { x, y }, code: 'out = x + y' }, { inputs: { x }, code: 'out = x.t().sum(0)' }]);
  });
  it('adds with broadcasting', () => expectTensorClose(x.add(y), refValue(refs[0])));
  it('sums a non-contiguous view', () => expectTensorClose(x.t().sum(0), refValue(refs[1])));
  it('fails clearly', () => expect(() => x.matmul(x)).toThrow(/^matmul: mat1 and mat2 shapes cannot be multiplied/));
});
