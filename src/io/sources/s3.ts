/** Placeholder while the s3 source is being written (issue 6): refuses plainly instead of failing obscurely. */
import { UsageError } from '../../cli/errors.js';
import type { Source } from './source.js';

export const s3Source: Source = {
  fetch(arg) {
    return Promise.reject(new UsageError(`${arg}: this build of tally cannot read s3 sources yet`, 'download the data to a local file and give its path'));
  },
};
