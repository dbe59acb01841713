#!/usr/bin/env bash
# Measures `trajectory record` during a scripted session on a private Xvfb
# (1920x1080x24): CPU time per second of recording, capture latency, how
# far the input listener runs behind, peak memory, bytes per step.
#
# The session clicks 12 + 34 = on xcalc, moves to an xterm and types a
# line, scrolls, and rests a few seconds between parts, 20-odd seconds in
# all. Beside it runs, by scenario:
#   quiet   nothing else;
#   clock   xclock -update 1 (a mild, regular change);
#   video   an xterm running `yes` (a region redrawn without end).
#
# Needs: xvfb xfonts-base x11-apps xterm xdotool python3.
# Usage: benches/record/session.sh [quiet|clock|video]...  (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
unset WAYLAND_DISPLAY XDG_SESSION_TYPE

cargo build --quiet --release --bin trajectory
trajectory="${CARGO_TARGET_DIR:-target}/release/trajectory"
work=$(mktemp -d)
pids=()
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

button() { echo "$((125 + 44 * $1)) $((176 + 30 * $2))"; }

session() {
  local b x y
  for b in "1 9" "2 9" "4 9" "3 9" "1 8" "4 10"; do # 12 + 34 =
    read -r x y <<<"$(button $b)"
    xdotool mousemove "$x" "$y"
    sleep 0.4
    xdotool click 1
    sleep 0.6
  done
  sleep 3
  xdotool mousemove 700 700
  sleep 0.4
  xdotool type --delay 60 "echo the quick brown fox jumps over the lazy dog"
  xdotool key Return
  sleep 3
  xdotool click --repeat 5 --delay 40 4
  sleep 0.5
  xdotool click --repeat 5 --delay 40 5
  sleep 3
}

run() {
  local scenario=$1
  exec {fd}<> <(:)
  Xvfb -displayfd "$fd" -screen 0 1920x1080x24 -nolisten tcp -noreset >"$work/xvfb.log" 2>&1 &
  pids+=($!)
  local number
  read -r -t 30 number <&"$fd"
  export DISPLAY=":$number"
  xcalc -geometry +100+100 &
  pids+=($!)
  xterm -geometry 80x24+500+500 -e env -i PS1='$ ' TERM=xterm HOME=/tmp bash --norc --noprofile &
  pids+=($!)
  case $scenario in
    clock) xclock -update 1 -geometry 150x150+1740+20 & pids+=($!) ;;
    video) xterm -geometry 80x24+1100+100 -e yes & pids+=($!) ;;
  esac
  xdotool search --sync --onlyvisible --class xcalc >/dev/null
  sleep 1.5

  rm -f "$work/out.traj"
  "$trajectory" record -o "$work/out.traj" --json >"$work/summary.json" 2>"$work/record.log" &
  local recorder=$!
  pids+=("$recorder")
  until grep -q "trajectory: recording" "$work/record.log"; do sleep 0.05; done
  session
  local hwm
  hwm=$(sed -n 's/^VmHWM: *//p' "/proc/$recorder/status")
  kill -INT "$recorder"
  wait "$recorder"
  python3 - "$scenario" "$hwm" "$work/summary.json" <<'PY'
import json, sys
scenario, hwm, path = sys.argv[1], sys.argv[2], sys.argv[3]
s = json.load(open(path))
st = s["stats"]
lat, cap, lag, enc = st["capture_latency"], st["capture_time"], st["listener_lag"], st["encode_time"]
print(f"{scenario:6} {s['duration_s']:5.1f} s  CPU {st['cpu_seconds'] / s['duration_s'] * 100:5.1f}% of a core"
      f"  captures {st['captures']} ({st['captures'] / s['duration_s']:.0f}/s, {st['unchanged_captures']} unchanged)"
      f"  latency median {lat['median_ms']:.2f} p95 {lat['p95_ms']:.2f} max {lat['max_ms']:.1f} ms"
      f"  capture {cap['median_ms']:.2f}/{cap['p95_ms']:.2f} ms"
      f"  listener lag max {lag['max_ms']:.0f} ms"
      f"  encode median {enc['median_ms']:.1f} ms, queue peak {st['encoder_queue_peak']}"
      f"  held peak {st['held_bytes_peak'] / 2**20:.1f} MiB  RSS peak {hwm}"
      f"  {s['steps']} steps, {s['frames']} frames, {s['bytes']} B ({s['bytes'] / max(s['steps'], 1):.0f} B/step)"
      f"  masks {[m['rect'] for m in s['proposed_masks']]}")
PY
  stop_all
}

for scenario in "${@:-quiet clock video}"; do
  for s in $scenario; do run "$s"; done
done
