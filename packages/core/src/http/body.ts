import busboy from 'busboy';
import { BadRequest } from '../exceptions';
import { QueryDict } from './query-dict';

/** A file from a multipart body (Django's `UploadedFile`, kept in memory). */
export interface UploadedFile {
  /** The form field's name. */
  readonly fieldName: string;
  /** The file name the client sent. */
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly content: Buffer;
}

/** What a form body parses into. */
export interface ParsedForm {
  POST: QueryDict;
  FILES: Map<string, UploadedFile[]>;
}

/** The media type of a `Content-Type` value, lower case, without parameters. */
export function mediaType(contentType: string | null): string {
  if (!contentType) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Parses a buffered `multipart/form-data` body with busboy (boundary handling and header parsing are
 * subtle; busboy is the parser the Node ecosystem trusts). A malformed body is a {@link BadRequest}.
 */
export function parseMultipart(body: Buffer, contentType: string, maxFields: number): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    const fields: Array<[string, string]> = [];
    const FILES = new Map<string, UploadedFile[]>();
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { fields: maxFields, parts: maxFields },
      });
    } catch (error) {
      reject(new BadRequest(`Malformed multipart body: ${(error as Error).message}`));
      return;
    }
    let pendingFiles = 0;
    let finished = false;
    const settle = (): void => {
      if (finished && pendingFiles === 0) resolve({ POST: new QueryDict(fields), FILES });
    };
    parser.on('field', (name, value) => fields.push([name, value]));
    parser.on('file', (fieldName, stream, info) => {
      pendingFiles++;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const content = Buffer.concat(chunks);
        const file: UploadedFile = {
          fieldName,
          name: info.filename ?? '',
          contentType: info.mimeType,
          size: content.length,
          content,
        };
        const files = FILES.get(fieldName);
        if (files) files.push(file);
        else FILES.set(fieldName, [file]);
        pendingFiles--;
        settle();
      });
    });
    parser.on('fieldsLimit', () =>
      reject(
        new BadRequest(`The number of POST fields exceeded ${maxFields} (DATA_UPLOAD_MAX_NUMBER_FIELDS)`),
      ),
    );
    parser.on('partsLimit', () =>
      reject(new BadRequest(`The number of multipart parts exceeded ${maxFields}`)),
    );
    parser.on('error', (error: Error) =>
      reject(new BadRequest(`Malformed multipart body: ${error.message}`)),
    );
    parser.on('close', () => {
      finished = true;
      settle();
    });
    parser.end(body);
  });
}
