#!/usr/bin/env bash
# Whole-process comparison of `trajectory diff` with its peers on the same
# PNG files: odiff (the odiff-bin npm package ships the binary) and
# pixelmatch 7.2.0 (its own command-line script, on node). Each run reads
# both PNGs, compares and exits; nobody writes a diff image. hyperfine
# times them side by side; the table at the end gives medians and ratios.
# inproc.mjs also times pixelmatch in process (PNGs already decoded), the
# number to hold against `cargo bench --bench diff`.
#
#   benches/images/make.sh && benches/peers/run.sh
#
# Needs node, npm, hyperfine and a release build (it runs cargo build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
images=${TRAJECTORY_BENCH_IMAGES:-$root/target/bench-images}
work=$root/target/peers
runs=${RUNS:-20}

[ -s "$images/base.png" ] || { echo "no bench images in $images: run benches/images/make.sh" >&2; exit 1; }
mkdir -p "$work"
if [ ! -x "$work/node_modules/.bin/odiff" ] || [ ! -x "$work/node_modules/.bin/pixelmatch" ]; then
  npm install --silent --prefix "$work" odiff-bin@4.5.0 pixelmatch@7.2.0 pngjs@7.0.0 >/dev/null
fi
(cd "$root" && cargo build --release --quiet)

traj=$root/target/release/trajectory
odiff=$work/node_modules/.bin/odiff
pm=$work/node_modules/.bin/pixelmatch

# name, second image, anti-aliasing detection (yes/no).
cases=(
  "identical base-again.png yes"
  "small typed.png yes"
  "large window.png yes"
  "large-noaa window.png no"
  "shift1 shifted.png yes"
)

for c in "${cases[@]}"; do
  read -r name second aa <<<"$c"
  a=$images/base.png
  b=$images/$second
  if [ "$aa" = yes ]; then
    t_args="" o_args="--antialiasing" p_args=""
  else
    t_args="--include-aa" o_args="" p_args="'' 0.1 true"
  fi
  hyperfine --style basic -N -i --warmup 3 --runs "$runs" \
    --export-json "$work/$name.json" \
    -n trajectory "$traj diff $a $b $t_args" \
    -n trajectory-1t "$traj diff $a $b $t_args --threads 1" \
    -n odiff "$odiff $a $b $o_args" \
    -n pixelmatch "$pm $a $b $p_args" >/dev/null
done

echo
echo "whole process, median of $runs runs (ms); ratio = peer / trajectory"
node "$here/summary.mjs" "$work" identical small large large-noaa shift1
echo
echo "pixelmatch in process, PNGs decoded beforehand, median (ms):"
node "$here/inproc.mjs" "$work" "$images"
