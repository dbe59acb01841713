#!/usr/bin/env bash
# Builds the frame codec's corpus: real desktop sessions on a private Xvfb
# 1920x1080x24, one PNG per step (the screen right before each action), in
# target/corpus/<session>/NNNN.png. benches/codec.rs reads it; nothing here
# is committed.
#
#   benches/corpus/make.sh [OUT_DIR] [SESSION...]
#
# Two corpora. The light one, on a gradient root window: click (xcalc
# clicked), typing (an xterm: keystrokes, scrolling output of ls -lR, seq
# and man), scroll (chromium scrolled and clicked on the local Rust
# documentation), window-move (windows moved and raised with xdotool).
# The realistic one, on a photograph as wallpaper (KDE's
# plasma-workspace-wallpapers): photo-click (xcalc clicked over it),
# photo-term (a colour terminal over part of it: typing, ls --color, grep
# --color, man), photo-web (chromium in a window over it, on local pages of
# photographs and text and on the Rust documentation: scrolled, links
# followed), photo-drag (windows, one showing a photograph, dragged across
# it in small steps, uncovering it). With no session named, all eight.
#
# Needs: xvfb xfonts-base xdotool x11-apps xterm imagemagick man-db
# hsetroot, plus chromium and plasma-workspace-wallpapers for the sessions
# that use them (installed with apt-get when missing). Runs in about ten
# minutes; uses a fixed random seed so the actions (not every pixel: fonts
# and timing) repeat from run to run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../target/corpus}
shift || true
sessions=("$@")
[ ${#sessions[@]} -gt 0 ] ||
  sessions=(click typing scroll window-move photo-click photo-term photo-web photo-drag)
mkdir -p "$out"
out=$(cd "$out" && pwd)

unset WAYLAND_DISPLAY XDG_SESSION_TYPE

need() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
    install -y -qq --no-install-recommends "${missing[@]}"
}
need xvfb xfonts-base xdotool x11-apps xterm imagemagick man-db hsetroot

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a fresh Xvfb on a free display and exports DISPLAY.
start_x() {
  local dfile="$work/display.$1"
  : >"$dfile"
  Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -noreset 3>"$dfile" 2>/dev/null &
  pids+=($!)
  xpid=$!
  for _ in $(seq 100); do
    [ -s "$dfile" ] && break
    sleep 0.1
  done
  export DISPLAY=":$(head -n1 "$dfile")"
  # A smooth wallpaper, as a desktop would have (the default root weave is
  # not what people look at).
  hsetroot -add '#20405f' -add '#7a9cbd' -gradient 0 >/dev/null
}

stop_x() {
  kill "$xpid" 2>/dev/null || true
  wait "$xpid" 2>/dev/null || true
}

# Starts a program on the current display and remembers its pid.
spawn() {
  "$@" >/dev/null 2>&1 &
  pids+=($!)
}

# One step: capture the screen as it is, then do the action, then let the
# screen settle.
n=0
dir=
settle=0.3
step() {
  import -window root "$(printf '%s/%04d.png' "$dir" "$n")"
  n=$((n + 1))
  "$@"
  sleep "$settle"
}

begin() {
  dir="$out/$1"
  settle=0.3
  rm -rf "$dir"
  mkdir -p "$dir"
  n=0
  RANDOM=7
  start_x "$1"
}

finish() {
  step true
  stop_x
  echo "$dir: $n frames" >&2
}

click_session() {
  begin click
  spawn xcalc -geometry 360x480+780+300
  local w
  w=$(xdotool search --sync --class XCalc | head -n1)
  sleep 1
  for _ in $(seq 90); do
    # Buttons are a 5x8 grid under the display, roughly.
    local col=$((RANDOM % 5)) row=$((RANDOM % 8))
    step xdotool mousemove --window "$w" $((36 + col * 72)) $((150 + row * 42)) click 1
  done
  finish
}

type_text() {
  local text=$1 i
  for ((i = 0; i < ${#text}; i++)); do
    step xdotool type --delay 0 "${text:i:1}"
  done
  step xdotool key Return
}

typing_session() {
  begin typing
  settle=0.4
  spawn xterm -geometry 180x58+40+30 -bg white -fg black
  local w
  w=$(xdotool search --sync --class XTerm | head -n1)
  sleep 1
  xdotool mousemove --window "$w" 200 200
  type_text "ls -l"
  step xdotool type --delay 0 $'ls -lR /usr/share | head -n 3000\n'
  step xdotool type --delay 0 $'seq 1 100000\n'
  type_text "echo hello"
  step xdotool type --delay 0 $'man ls\n'
  for _ in $(seq 8); do step xdotool key space; done
  step xdotool key b
  step xdotool key q
  step xdotool type --delay 0 $'ls -lR /usr/lib | head -n 5000\n'
  for _ in $(seq 6); do step xdotool key shift+Prior; done
  for _ in $(seq 3); do step xdotool key shift+Next; done
  type_text "cd /tmp"
  step xdotool type --delay 0 $'man bash\n'
  for _ in $(seq 6); do step xdotool key space; done
  for _ in $(seq 10); do step xdotool key j; done
  step xdotool key q
  step xdotool key ctrl+l
  type_text "date -u"
  finish
}

scroll_session() {
  need chromium
  begin scroll
  settle=1.0
  local docs
  docs=$(ls -d "$HOME"/.rustup/toolchains/*/share/doc/rust/html 2>/dev/null | head -n1)
  [ -n "$docs" ] || docs=/usr/share/doc
  local page="file://$docs/std/index.html"
  [ -e "$docs/std/index.html" ] || page="file://$docs/"
  spawn chromium --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chromium" --window-position=0,0 --window-size=1920,1080 \
    --disable-features=Translate "$page"
  xdotool search --sync --class chromium >/dev/null
  sleep 6
  xdotool mousemove 900 600
  for round in 1 2 3; do
    for _ in $(seq 8); do step xdotool click --repeat 3 5; done
    for _ in $(seq 3); do step xdotool click --repeat 2 4; done
    step xdotool key Next
    step xdotool key Next
    step xdotool key Home
    # Follow a link from the page's list, then come back.
    step xdotool mousemove $((300 + round * 80)) $((380 + round * 60)) click 1
    for _ in $(seq 5); do step xdotool mousemove 900 600 click --repeat 3 5; done
    step xdotool key Prior
    step xdotool key alt+Left
  done
  step xdotool key End
  for _ in $(seq 6); do step xdotool click --repeat 5 4; done
  finish
}

window_move_session() {
  begin window-move
  spawn xterm -geometry 100x30+80+80 -e sh -c 'ls -l /usr/bin | head -n 200; exec sh'
  spawn xterm -geometry 90x40+900+200 -bg '#fdf6e3' -fg '#073642' -e sh -c 'man ls; exec sh'
  spawn xcalc -geometry 300x420+1400+500
  sleep 2
  local wins=()
  mapfile -t wins < <(
    xdotool search --class XTerm
    xdotool search --class XCalc
  )
  for _ in $(seq 70); do
    local w=${wins[$((RANDOM % ${#wins[@]}))]}
    local x y
    eval "$(xdotool getwindowgeometry --shell "$w" | grep -E '^(X|Y)=')"
    x=$((X + (RANDOM % 401) - 200))
    y=$((Y + (RANDOM % 241) - 120))
    x=$((x < 0 ? 0 : x > 1500 ? 1500 : x))
    y=$((y < 0 ? 0 : y > 800 ? 800 : y))
    if ((RANDOM % 4 == 0)); then
      step xdotool windowraise "$w"
    else
      step xdotool windowmove "$w" "$x" "$y"
    fi
  done
  finish
}

# The realistic sessions' wallpaper: a photograph of a forest path, as
# detailed as photographs get (the hardest case for lossless coding).
photo=/usr/share/wallpapers/Path/contents/images/1920x1080.jpg

photo_wallpaper() {
  need plasma-workspace-wallpapers
  hsetroot -fill "$photo" >/dev/null
}

photo_click_session() {
  begin photo-click
  photo_wallpaper
  spawn xcalc -geometry 360x480+1180+200
  local w
  w=$(xdotool search --sync --class XCalc | head -n1)
  sleep 1
  for _ in $(seq 70); do
    local col=$((RANDOM % 5)) row=$((RANDOM % 8))
    step xdotool mousemove --window "$w" $((36 + col * 72)) $((150 + row * 42)) click 1
  done
  finish
}

photo_term_session() {
  begin photo-term
  photo_wallpaper
  settle=0.4
  spawn xterm -geometry 140x45+120+90 -bg '#1c1c1c' -fg '#d0d0d0' -xrm 'XTerm*colorMode: true' \
    -e bash --norc
  local w
  w=$(xdotool search --sync --class XTerm | head -n1)
  sleep 1
  xdotool mousemove --window "$w" 300 200
  step xdotool type --delay 0 $'PS1="\\[\\e[1;32m\\]user@desk\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ "\n'
  type_text "ls --color=always -l /usr/bin | head -n 80"
  step xdotool type --delay 0 $'ls --color=always -lR /usr/share/doc | head -n 1500\n'
  type_text "cd /usr/share"
  step xdotool type --delay 0 $'grep --color=always -rn "license" /usr/share/doc/*/copyright | head -n 400\n'
  step xdotool type --delay 0 $'man ls\n'
  for _ in $(seq 6); do step xdotool key space; done
  step xdotool key q
  step xdotool type --delay 0 $'ls --color=always /usr/lib/x86_64-linux-gnu | head -n 600\n'
  for _ in $(seq 4); do step xdotool key shift+Prior; done
  for _ in $(seq 2); do step xdotool key shift+Next; done
  type_text "echo done"
  step xdotool key ctrl+l
  type_text "date -u"
  finish
}

# Local pages of photographs with text around them, linked to each other.
make_pages() {
  local site=$1 i=0 pic
  mkdir -p "$site"
  local pics=(Autumn BytheWater ColdRipple DarkestHour EveningGlow FallenLeaf Kite OneStandsOut)
  local text
  text=$(sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' /usr/share/common-licenses/GPL-3 | head -n 400)
  for page in 0 1 2; do
    {
      echo "<!doctype html><html><head><meta charset=utf-8><title>Gallery $page</title>"
      echo "<style>body{font:16px sans-serif;margin:2em;max-width:1100px}"
      echo "img{width:520px;float:left;margin:0 1.5em 1em 0}p{line-height:1.5}</style></head><body>"
      echo "<h1>Gallery, part $page</h1><p><a href=page0.html>part 0</a> | <a href=page1.html>part 1</a> | <a href=page2.html>part 2</a></p>"
      for k in 0 1 2 3 4 5; do
        pic=${pics[$(((page * 3 + k) % ${#pics[@]}))]}
        echo "<h2>$pic</h2><img src=\"file:///usr/share/wallpapers/$pic/contents/images/1280x800.jpg\">"
        echo "<p>$(echo "$text" | sed -n "$((i * 12 + 1)),$((i * 12 + 12))p")</p>"
        echo "<p style=clear:both>$(echo "$text" | sed -n "$((i * 12 + 13)),$((i * 12 + 20))p")</p>"
        i=$((i + 1))
      done
      echo "</body></html>"
    } >"$site/page$page.html"
  done
}

photo_web_session() {
  need chromium
  begin photo-web
  photo_wallpaper
  settle=1.0
  make_pages "$work/site"
  local docs
  docs=$(ls -d "$HOME"/.rustup/toolchains/*/share/doc/rust/html 2>/dev/null | head -n1)
  spawn chromium --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chromium-web" --window-position=160,40 --window-size=1500,960 \
    --disable-features=Translate "file://$work/site/page0.html"
  xdotool search --sync --class chromium >/dev/null
  sleep 6
  xdotool mousemove 900 600
  for round in 1 2; do
    for _ in $(seq 8); do step xdotool click --repeat 3 5; done
    for _ in $(seq 3); do step xdotool click --repeat 2 4; done
    step xdotool key Next
    step xdotool key Home
    # The page's second link, "part 1", then "part 2" the next round.
    step xdotool mousemove $((268 + round * 62)) 158 click 1
    for _ in $(seq 6); do step xdotool mousemove 900 600 click --repeat 3 5; done
    step xdotool key End
    step xdotool key alt+Left
  done
  [ -n "$docs" ] && step xdotool key ctrl+l type --delay 0 $'file://'"$docs"$'/std/index.html\n'
  for _ in $(seq 8); do step xdotool mousemove 900 600 click --repeat 3 5; done
  step xdotool key alt+Left
  for _ in $(seq 4); do step xdotool click --repeat 3 4; done
  finish
}

photo_drag_session() {
  begin photo-drag
  photo_wallpaper
  spawn xterm -geometry 100x30+80+80 -bg black -fg '#e0e0e0' -xrm 'XTerm*colorMode: true' \
    -e sh -c 'ls --color=always -l /usr/bin | head -n 200; exec sh'
  spawn xcalc -geometry 300x420+1400+500
  spawn display -geometry +700+300 -resize 640x400 \
    /usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg
  sleep 3
  local wins=()
  mapfile -t wins < <(
    xdotool search --class XTerm
    xdotool search --class XCalc
    xdotool search --name 'ImageMagick'
  )
  for _ in $(seq 8); do
    local w=${wins[$((RANDOM % ${#wins[@]}))]}
    local x y
    eval "$(xdotool getwindowgeometry --shell "$w" | grep -E '^(X|Y)=')"
    step xdotool windowraise "$w"
    # A drag: the window follows the pointer in small steps, as a window
    # manager moves it.
    local dx=$(((RANDOM % 61) - 30)) dy=$(((RANDOM % 37) - 18))
    for _ in $(seq 12); do
      x=$((X + dx)) y=$((Y + dy))
      x=$((x < 0 ? 0 : x > 1500 ? 1500 : x))
      y=$((y < 0 ? 0 : y > 700 ? 700 : y))
      X=$x Y=$y
      step xdotool windowmove "$w" "$x" "$y"
    done
  done
  finish
}

for s in "${sessions[@]}"; do
  case "$s" in
    click) click_session ;;
    typing) typing_session ;;
    scroll) scroll_session ;;
    window-move) window_move_session ;;
    photo-click) photo_click_session ;;
    photo-term) photo_term_session ;;
    photo-web) photo_web_session ;;
    photo-drag) photo_drag_session ;;
    *)
      echo "unknown session '$s' (click typing scroll window-move" \
        "photo-click photo-term photo-web photo-drag)" >&2
      exit 2
      ;;
  esac
done
