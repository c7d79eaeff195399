/** The committed JSON Schema for editors must be what the schema code generates (run `npm run schema` after a change). */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { rulesetJsonSchema } from '../../src/ruleset/json-schema.js';
import { ROOT } from '../helpers/cli.js';

it('rulesets/ruleset.schema.json has not drifted from the schema code', () => {
  const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'rulesets/ruleset.schema.json'), 'utf8'));
  expect(committed).toEqual(rulesetJsonSchema());
});
