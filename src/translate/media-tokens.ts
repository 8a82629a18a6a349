// Token estimates for images and PDFs (they are not text, so o200k cannot count them).
//
// Images: OpenAI's tile rule for detail high/auto: fit in 2048x2048, shortest side down to 768,
// 85 + 170 per 512-px tile. Width and height are read from the PNG / GIF / JPEG / WebP header of
// base64 data; when unknown (URL images, other formats) the image is taken as 1024x1024 = 765 tokens.
// PDFs: PDF_TOKENS_PER_PAGE per page (extracted text plus a page image); pages are counted from
// `/Type /Page` objects, else estimated at one page per 100 KB; a PDF given by URL counts as one page.

export const IMAGE_BASE_TOKENS = 85;
export const IMAGE_TILE_TOKENS = 170;
export const UNKNOWN_IMAGE_TOKENS = IMAGE_BASE_TOKENS + 4 * IMAGE_TILE_TOKENS; // 1024x1024 -> 765
export const PDF_TOKENS_PER_PAGE = 1500;
const PDF_BYTES_PER_PAGE_GUESS = 100_000;
/** JPEG headers (EXIF thumbnails) can push the size marker this far in. */
const HEADER_BYTES = 64 * 1024;

export interface Size { width: number; height: number }

export function imageTokensForSize(size: Size | undefined): number {
  if (!size || size.width <= 0 || size.height <= 0) return UNKNOWN_IMAGE_TOKENS;
  let { width: w, height: h } = size;
  if (w > 2048 || h > 2048) {
    const s = 2048 / Math.max(w, h);
    w *= s;
    h *= s;
  }
  const shortest = Math.min(w, h);
  if (shortest > 768) {
    const s = 768 / shortest;
    w *= s;
    h *= s;
  }
  return IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * Math.ceil(w / 512) * Math.ceil(h / 512);
}

function jpegSize(b: Buffer): Size | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    const len = b.readUInt16BE(i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return undefined;
}

function webpSize(b: Buffer): Size | undefined {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ' && b.length >= 30) return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L' && b.length >= 25) {
    const b1 = b[22], b2 = b[23], b3 = b[24];
    return { width: 1 + (((b1 & 0x3f) << 8) | b[21]), height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)) };
  }
  return undefined;
}

/** Width and height from the first bytes of an image, for the common formats. */
export function imageSize(b: Buffer): Size | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 10 && b.toString('latin1', 0, 4) === 'GIF8') return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegSize(b);
  if (b.length >= 16 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return webpSize(b);
  return undefined;
}

/** The base64 payload of a data URL, or undefined for other URLs. */
export function dataUrlPayload(url: string): string | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  return comma < 0 ? undefined : url.slice(comma + 1);
}

function decodeHead(base64: string, bytes: number): Buffer {
  return Buffer.from(base64.slice(0, Math.ceil(bytes / 3) * 4), 'base64');
}

export function imageTokens(imageUrl: string | undefined): number {
  const payload = imageUrl === undefined ? undefined : dataUrlPayload(imageUrl);
  if (payload === undefined) return UNKNOWN_IMAGE_TOKENS;
  try {
    return imageTokensForSize(imageSize(decodeHead(payload, HEADER_BYTES)));
  } catch {
    return UNKNOWN_IMAGE_TOKENS;
  }
}

const PAGE_OBJECT = /\/Type\s*\/Page(?![a-zA-Z])/g;

export function pdfTokens(fileData: string | undefined): number {
  const payload = fileData === undefined ? undefined : dataUrlPayload(fileData);
  if (payload === undefined) return PDF_TOKENS_PER_PAGE;
  const bytes = Math.floor((payload.length * 3) / 4);
  let pages = 0;
  try {
    pages = Buffer.from(payload, 'base64').toString('latin1').match(PAGE_OBJECT)?.length ?? 0;
  } catch {
    pages = 0;
  }
  if (pages === 0) pages = Math.max(1, Math.round(bytes / PDF_BYTES_PER_PAGE_GUESS));
  return pages * PDF_TOKENS_PER_PAGE;
}
