#!/usr/bin/env bash
# Makes the bench images from real X screens: a headless Xvfb desktop with
# anti-aliased terminal text (xterm with DejaVu Sans Mono), xcalc, xclock
# and a photo (ImageMagick's built-in rose, shown with `display`), captured
# with ImageMagick's `import` before and after real changes:
#
#   base.png        the desktop
#   base-again.png  the same desktop captured a second time (identical)
#   typed.png       "make test" typed into the small terminal (small change)
#   window.png      a photo window opened over a third of the screen (large)
#   shifted.png     the big terminal moved right by one pixel (text shifted)
#
# Output goes to target/bench-images/ (or the folder given as argument).
# Needs: xvfb xfonts-base x11-xserver-utils xterm x11-apps xdotool
# imagemagick fonts-dejavu-core.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../target/bench-images}
mkdir -p "$out"
out=$(cd "$out" && pwd)
unset WAYLAND_DISPLAY XDG_SESSION_TYPE

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# -displayfd picks a free display and writes its number once ready.
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -noreset \
  3>"$tmp/display" 2>"$tmp/xvfb.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/display" ] && break; sleep 0.1; done
[ -s "$tmp/display" ] || { echo "Xvfb did not start:" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
export DISPLAY=":$(cat "$tmp/display")"

start() { "$@" >/dev/null 2>&1 & pids+=($!); }
capture() {
  # Let every client finish drawing first.
  sleep 1
  import -window root -depth 8 "png24:$out/$1"
}

xsetroot -solid '#3a6ea5'
start xterm -name big -geometry 110x44+20+20 -fa 'DejaVu Sans Mono' -fs 11 \
  -bg '#fdf6e3' -fg '#073642' \
  -e sh -c 'ls -l --color=always /usr/share/X11 /usr/lib | head -80; exec sleep 1d'
start xterm -name small -geometry 64x9+1100+880 -fa 'DejaVu Sans Mono' -fs 11 \
  -bg '#002b36' -fg '#eee8d5' -e sh -c 'PS1="$ " exec sh'
start xcalc -geometry +1280+40
start xclock -update 3600 -geometry 260x260+1620+40
start display -title desk-photo -geometry +1100+480 -resize 560x560 rose:
xdotool search --sync --onlyvisible --classname big >/dev/null
xdotool search --sync --onlyvisible --classname small >/dev/null
xdotool search --sync --onlyvisible --class XCalc >/dev/null
xdotool search --sync --onlyvisible --class XClock >/dev/null
xdotool search --sync --onlyvisible --name '^desk-photo$' >/dev/null

# Keys go to the window under the pointer; park it over the small terminal,
# away from xcalc (whose buttons change when hovered).
xdotool mousemove 1400 1000
capture base.png
capture base-again.png
cmp -s "$out/base.png" "$out/base-again.png" || {
  echo "the desktop changed between two captures; run again" >&2
  exit 1
}

xdotool type --delay 20 'make test'
capture typed.png
xdotool key --clearmodifiers ctrl+u

start display -title big-photo -geometry +60+80 -resize 1040x1040 rose:
window=$!
xdotool search --sync --onlyvisible --name '^big-photo$' >/dev/null
capture window.png
kill "$window"
sleep 1

big=$(xdotool search --onlyvisible --classname big | head -1)
xdotool windowmove --sync "$big" 21 20
capture shifted.png

echo "bench images in $out:"
ls -l "$out"
