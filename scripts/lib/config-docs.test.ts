import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, REQUIRED_IN_PRODUCTION } from '../../packages/api/src/config/env.ts';
import { configDocsFiles, configVariables, renderReadmeTable } from './config-docs.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('the configuration docs', () => {
  it.each(configDocsFiles(root).map((file) => [path.relative(root, file.path), file] as const))('%s is what the config schema generates (run pnpm docs:config)', (_name, file) => {
    expect(file.current).toBe(file.generated);
  });

  it('lists every variable of the schema once, each with a description', () => {
    const variables = configVariables();
    expect(new Set(variables.map((variable) => variable.name)).size).toBe(variables.length);
    for (const variable of variables) expect(variable.description.length, variable.name).toBeGreaterThan(10);
    expect(renderReadmeTable().split('\n').filter((line) => line.startsWith('| `'))).toHaveLength(variables.length);
  });

  it('marks as required in production exactly what parseEnv refuses to start without', () => {
    let problems: string[] = [];
    try {
      parseEnv({ NODE_ENV: 'production' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    const missing = new Set(problems.filter((problem) => /: required in production/.test(problem)).map((problem) => problem.split(':')[0]));
    expect([...missing].sort()).toEqual([...REQUIRED_IN_PRODUCTION].sort());
  });
});
