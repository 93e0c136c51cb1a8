/**
 * Object keys in S3 event notifications are URL-encoded (spaces as '+'). Handlers decode with
 * decodeS3EventKey; the local runtime encodes s3rver's raw keys with encodeS3EventKey so that the
 * same handler code works on both.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
