import { WARNING_CODE, WARNING_TYPE, warnOnce } from '../src/warnings';

test('a subject is warned about once per process, through process.emitWarning', () => {
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    warnOnce('test-subject', 'first');
    warnOnce('test-subject', 'second');
    warnOnce('other-subject', 'third');
    expect(emitWarning.mock.calls).toEqual([
      ['first', { type: WARNING_TYPE, code: WARNING_CODE }],
      ['third', { type: WARNING_TYPE, code: WARNING_CODE }],
    ]);
  } finally {
    emitWarning.mockRestore();
  }
});

test('a failing process.emitWarning does not reach the caller', () => {
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => {
    throw new Error('broken warning channel');
  });
  try {
    expect(() => warnOnce('throwing-subject', 'message')).not.toThrow();
  } finally {
    emitWarning.mockRestore();
  }
});
