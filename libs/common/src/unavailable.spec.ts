import { isUnavailable } from './unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isUnavailable', () => {
  it.each([
    new Error('Query read timeout'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Connection terminated due to connection timeout'),
    new Error('Connection terminated unexpectedly'),
    withCode('canceling statement due to statement timeout', '57014'),
    withCode('the database system is starting up', '57P03'),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('sorry, too many clients already', '53300'),
    withCode('connection failure', '08006'),
    withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
  ])('takes %s for a database that does not answer', (err) => {
    expect(isUnavailable(err)).toBe(true);
  });

  it.each([
    withCode('duplicate key value violates unique constraint', '23505'),
    withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021'),
    new Error('Cannot read properties of undefined'),
    'Query read timeout',
  ])('takes %s for a fault of its own', (err) => {
    expect(isUnavailable(err)).toBe(false);
  });
});
