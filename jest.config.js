// Three layers: pure unit specs beside the code; e2e tests that start the real server against a real
// PostgreSQL and a real broker; browser tests that drive Debian's Chromium against the built console.
// Transpile only: type checking is `npm run typecheck`'s job (and the build's).
const tsJest = [
  'ts-jest',
  {
    tsconfig: {
      module: 'commonjs',
      moduleResolution: 'node10',
      target: 'es2022',
      jsx: 'react-jsx',
      esModuleInterop: true,
      resolveJsonModule: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      isolatedModules: true,
    },
  },
];

const aliases = {
  '^@ioc/([a-z-]+)$': '<rootDir>/libs/$1/src',
};

const common = {
  rootDir: __dirname,
  transform: { '^.+\\.tsx?$': tsJest },
  moduleNameMapper: aliases,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,apps,simulators}/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
    },
  ],
};
