/**
 * A problem with how the checker was set up (a missing model folder, an unknown template name,
 * a bad project file), as opposed to a problem in the dataset. The CLI exits with status 2.
 */
import { UserError } from '../../common/errors';
export class SetupError extends UserError {
  override readonly name = 'SetupError';
}
