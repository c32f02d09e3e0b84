/**
 * QR decoding for the wallet's scanner: the browser's `BarcodeDetector` where it reads QR
 * codes, otherwise zxing-wasm (lazy-loaded on first use, so the first screen does not carry
 * it; its .wasm is a hashed asset of this build, fetched from our origin, never a CDN, and
 * compiled under the CSP's 'wasm-unsafe-eval'). The camera and a still image (a photo, or a
 * test's picture) go through the same `decodeCanvas`.
 */
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

type Decoder = (canvas: HTMLCanvasElement) => Promise<string | null>;
let decoder: Promise<Decoder> | null = null;

async function nativeDecoder(): Promise<Decoder | null> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return null;
  try {
    if (!(await Detector.getSupportedFormats()).includes('qr_code')) return null;
    const detector = new Detector({ formats: ['qr_code'] });
    return async (canvas) => (await detector.detect(canvas))[0]?.rawValue ?? null;
  } catch {
    return null;
  }
}

async function zxingDecoder(): Promise<Decoder> {
  const zxing = await import('zxing-wasm/reader');
  zxing.prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) },
  });
  return async (canvas) => {
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) return null;
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const results = await zxing.readBarcodes(image, { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 });
    return results.find((result) => result.isValid)?.text ?? null;
  };
}

function getDecoder(): Promise<Decoder> {
  decoder ??= nativeDecoder().then((native) => native ?? zxingDecoder());
  decoder.catch(() => {
    decoder = null;
  });
  return decoder;
}

/** Starts loading the decoder (the scan screen calls it on open). */
export function warmUpDecoder(): void {
  void getDecoder().catch(() => undefined);
}

/** The text of the QR code in the canvas's picture, or null. */
export async function decodeCanvas(canvas: HTMLCanvasElement): Promise<string | null> {
  return (await getDecoder())(canvas);
}

const MAX_SIDE = 1600;

/** The text of the QR code in a still image (a photo file), or null when none is found. */
export async function decodeImageFile(file: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(file);
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) return null;
    // White under transparent pixels: a QR drawn on transparency still reads as dark on light.
    context.fillStyle = '#fff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await decodeCanvas(canvas);
  } finally {
    bitmap.close();
  }
}

/** One frame of a playing video into `canvas` (reused between frames), then decoded. */
export async function decodeVideoFrame(video: HTMLVideoElement, canvas: HTMLCanvasElement): Promise<string | null> {
  if (video.readyState < 2 || !video.videoWidth) return null;
  const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return null;
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  return decodeCanvas(canvas);
}
