import type { UploadedFile } from '../http/uploaded-file';
import { escapeForLog, type Logger } from '../log';

/**
 * The release of a request's uploaded files (their temporary copies on disk): call it once when the
 * response is done (written, or the client left) and once when the view has returned; the files are
 * removed at the second call, whichever comes last, so a view still reading a file never loses it.
 */
export function releaseOnSecondCall(files: readonly UploadedFile[], logger: Logger): () => void {
  let pending = 2;
  return () => {
    if (--pending > 0) return;
    for (const file of files)
      file
        .close()
        .catch((error: unknown) =>
          logger.warn(`Could not remove an uploaded file's temporary copy: ${escapeForLog(String(error))}`),
        );
  };
}
