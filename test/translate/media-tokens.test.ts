import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  imageSize, imageTokens, imageTokensForSize, pdfTokens, PDF_TOKENS_PER_PAGE, UNKNOWN_IMAGE_TOKENS,
} from '../../src/translate/media-tokens.ts';

function png(w: number, h: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(0x89504e47, 0);
  b.writeUInt32BE(0x0d0a1a0a, 4);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return b;
}

function gif(w: number, h: number): Buffer {
  const b = Buffer.alloc(10);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b;
}

function jpeg(w: number, h: number): Buffer {
  // SOI, an APP0 segment to skip, then SOF0 with height and width
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x06, 0x4a, 0x46, 0x49, 0x46]);
  const sof = Buffer.alloc(19);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(h, 5);
  sof.writeUInt16BE(w, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]);
}

function webpVp8x(w: number, h: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBP', 8, 'latin1');
  b.write('VP8X', 12, 'latin1');
  b.writeUIntLE(w - 1, 24, 3);
  b.writeUIntLE(h - 1, 27, 3);
  return b;
}

describe('imageSize', () => {
  const cases: Array<[string, Buffer, { width: number; height: number } | undefined]> = [
    ['png', png(640, 480), { width: 640, height: 480 }],
    ['gif', gif(320, 200), { width: 320, height: 200 }],
    ['jpeg', jpeg(1920, 1080), { width: 1920, height: 1080 }],
    ['webp VP8X', webpVp8x(800, 600), { width: 800, height: 600 }],
    ['unknown bytes', Buffer.from('hello world, not an image'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ];
  for (const [name, bytes, expected] of cases) it(name, () => assert.deepEqual(imageSize(bytes), expected));
});

describe('imageTokensForSize', () => {
  const cases: Array<[number, number, number]> = [
    [100, 100, 255],          // one tile
    [512, 512, 255],
    [513, 512, 425],          // two tiles
    [1024, 1024, 765],        // -> 768x768, 4 tiles
    [1920, 1080, 1105],       // -> 1365x768, 3x2 tiles
    [4000, 4000, 765],        // -> 2048 -> 768, 4 tiles
  ];
  for (const [w, h, n] of cases) it(`${w}x${h} -> ${n}`, () => assert.equal(imageTokensForSize({ width: w, height: h }), n));
  it('unknown size -> default', () => assert.equal(imageTokensForSize(undefined), UNKNOWN_IMAGE_TOKENS));
});

describe('imageTokens / pdfTokens', () => {
  it('reads a data URL', () => assert.equal(imageTokens(`data:image/png;base64,${png(512, 512).toString('base64')}`), 255));
  it('URL images -> default', () => assert.equal(imageTokens('https://example.com/x.png'), UNKNOWN_IMAGE_TOKENS));
  it('PDF without page objects -> by size, at least one page', () => {
    assert.equal(pdfTokens(`data:application/pdf;base64,${Buffer.from('%PDF-1.7 compressed').toString('base64')}`), PDF_TOKENS_PER_PAGE);
    assert.equal(pdfTokens(undefined), PDF_TOKENS_PER_PAGE);
  });
});
