import fs from 'node:fs';
import path from 'node:path';
import { ensureChromium } from '../helpers/chromium.js';

/** Before any browser test: Chromium is installed and the app is built (npm test builds it first). */
export default function setup(): void {
  ensureChromium((line) => process.stdout.write(`${line}\n`));
  const built = ['dist/server/server/main.js', 'dist/web/index.html'];
  const missing = built.filter((file) => !fs.existsSync(path.resolve(file)));
  if (missing.length > 0) throw new Error(`browser tests run the built app, but ${missing.join(', ')} is missing: run "npm run build"`);
}
