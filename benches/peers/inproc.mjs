// Times pixelmatch 7.2.0 in process on the bench images, decoded
// beforehand, like benches/diff.rs times trajectory. Arguments: the folder
// where run.sh installed the npm packages, the bench images folder.
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';

const [work, images] = process.argv.slice(2);
const require = createRequire(path.join(work, 'package.json'));
const {PNG} = require('pngjs');
const pixelmatch = (await import(path.join(work, 'node_modules/pixelmatch/index.js'))).default;

const read = (f) => PNG.sync.read(fs.readFileSync(path.join(images, f)));
const base = read('base.png');
const cases = [
  ['identical', 'base-again.png', {}],
  ['small/aa', 'typed.png', {}],
  ['large/aa', 'window.png', {}],
  ['large/noaa', 'window.png', {includeAA: true}],
  ['shift1/aa', 'shifted.png', {}],
];
for (const [name, file, options] of cases) {
  const other = read(file);
  const times = [];
  let count = 0;
  for (let i = 0; i < 25; i++) {
    const t = process.hrtime.bigint();
    count = pixelmatch(base.data, other.data, null, base.width, base.height, options);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((p, q) => p - q);
  console.log(`${name.padEnd(12)} ${times[12].toFixed(2).padStart(8)} ms  (${count} pixels differ)`);
}
