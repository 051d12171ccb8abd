import type { Config } from 'jest';

// One run covers every workspace. Tests import the packages by name; the mapper points those names at
// the TypeScript sources so a test never runs against a stale build. Type checking is `npm run
// typecheck`'s job, so ts-jest only transpiles (much faster on two cores).
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@manouche/(core|websocket|testing|client)$': '<rootDir>/packages/$1/src',
  },
  testTimeout: 15000,
};

export default config;
