/** Placeholder while the http source is being written (issue 6): refuses plainly instead of failing obscurely. */
import { UsageError } from '../../cli/errors.js';
import type { Source } from './source.js';

export const httpSource: Source = {
  fetch(arg) {
    return Promise.reject(new UsageError(`${arg}: this build of tally cannot read http sources yet`, 'download the data to a local file and give its path'));
  },
};
