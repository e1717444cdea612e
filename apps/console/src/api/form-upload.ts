/** An answer to a multipart upload: status 0 when none came (offline, the connection cut). */
export interface UploadAnswer {
  status: number;
  /** The JSON body, or null when there was none or it was not JSON. */
  body: unknown;
}

export interface UploadOptions {
  /** Sent as a bearer token. */
  token?: string;
  /** 0 to 1 as the body goes out. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/**
 * POSTs a multipart form. XMLHttpRequest rather than fetch: only it reports how much of the body
 * has gone out, which matters for photos sent over a phone's connection.
 */
export function postForm(path: string, form: FormData, options: UploadOptions = {}): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.setRequestHeader('accept', 'application/json');
    if (options.token !== undefined) request.setRequestHeader('authorization', `Bearer ${options.token}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) options.onProgress?.(event.loaded / event.total);
    };
    request.onload = () => resolve({ status: request.status, body: parseJson(request.responseText) });
    request.onerror = () => resolve({ status: 0, body: null });
    request.ontimeout = () => resolve({ status: 0, body: null });
    request.onabort = () => reject(new DOMException('the upload was cancelled', 'AbortError'));
    options.signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(form);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
