import { fitWithin } from './shrink-photo';

describe('fitWithin', () => {
  it('scales the longer side down to the limit, keeping the shape', () => {
    expect(fitWithin(4032, 3024, 2560)).toEqual({ width: 2560, height: 1920 });
    expect(fitWithin(3024, 4032, 2560)).toEqual({ width: 1920, height: 2560 });
  });

  it('never enlarges', () => {
    expect(fitWithin(1280, 960, 2560)).toEqual({ width: 1280, height: 960 });
  });

  it('keeps at least one pixel on each side', () => {
    expect(fitWithin(10_000, 1, 2560)).toEqual({ width: 2560, height: 1 });
  });
});
