// Prints the medians of hyperfine's JSON exports and the ratios of each
// peer to trajectory. Arguments: the folder with the exports, case names.
import fs from 'node:fs';
import path from 'node:path';

const [dir, ...names] = process.argv.slice(2);
const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)] * 1000;
};
console.log('case         trajectory  traj-1t     odiff  pixelmatch   odiff/traj  pixelmatch/traj');
for (const name of names) {
  const runs = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`))).results;
  const t = Object.fromEntries(runs.map((r) => [r.command, median(r.times)]));
  const f = (v) => v.toFixed(1).padStart(10);
  console.log(
    name.padEnd(12) + f(t.trajectory) + f(t['trajectory-1t']) + f(t.odiff) + f(t.pixelmatch) +
      (t.odiff / t.trajectory).toFixed(2).padStart(12) +
      (t.pixelmatch / t.trajectory).toFixed(2).padStart(15),
  );
}
