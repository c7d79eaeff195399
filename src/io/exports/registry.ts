/**
 * Export profiles by name: the built-in ones (an explicit map: importing this module registers nothing
 * elsewhere), or a YAML file given by path.
 */
import fs from 'node:fs';
import { UsageError } from '../../cli/errors.js';
import { suggest } from '../../expr/suggest.js';
import { genericCsv, genericEntriesCsv, genericEntriesJsonl, genericJsonl, genericTopUpsCsv, genericTopUpsJsonl } from './builtin/generic.js';
import { netsuite } from './builtin/netsuite.js';
import { netsuiteTopUps } from './builtin/netsuite-topups.js';
import { sageIntacct } from './builtin/sage-intacct.js';
import { salesforceBilling } from './builtin/salesforce-billing.js';
import { salesforceRevenueCloud } from './builtin/salesforce-revenue-cloud.js';
import { workday } from './builtin/workday.js';
import type { ExportProfile } from './profile.js';
import { loadYamlProfile } from './yaml-profile.js';

export const BUILTIN_PROFILES: Readonly<Record<string, ExportProfile>> = {
  [netsuite.name]: netsuite,
  [salesforceBilling.name]: salesforceBilling,
  [salesforceRevenueCloud.name]: salesforceRevenueCloud,
  [workday.name]: workday,
  [sageIntacct.name]: sageIntacct,
  [genericCsv.name]: genericCsv,
  [genericJsonl.name]: genericJsonl,
  [netsuiteTopUps.name]: netsuiteTopUps,
  [genericEntriesCsv.name]: genericEntriesCsv,
  [genericEntriesJsonl.name]: genericEntriesJsonl,
  [genericTopUpsCsv.name]: genericTopUpsCsv,
  [genericTopUpsJsonl.name]: genericTopUpsJsonl,
};

/**
 * A built-in profile by name, or a YAML profile by path (anything ending in .yaml/.yml, or an existing file).
 * Built-in names win: a file called `netsuite` in the working folder is not read.
 */
export function resolveExportProfile(nameOrFile: string): ExportProfile {
  const builtin = BUILTIN_PROFILES[nameOrFile];
  if (builtin) return builtin;
  if (/\.ya?ml$/i.test(nameOrFile) || fs.existsSync(nameOrFile)) return loadYamlProfile(nameOrFile);
  const names = Object.keys(BUILTIN_PROFILES);
  const close = suggest(nameOrFile, names);
  throw new UsageError(`unknown export profile "${nameOrFile}"${close ? ` (did you mean "${close}"?)` : ''}`,
    `use a built-in profile (${names.join(', ')}) or the path of a YAML profile file`);
}
