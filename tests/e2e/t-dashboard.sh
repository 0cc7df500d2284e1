#!/bin/bash
# The dashboard in headless Chromium: GET / loads one page that asks for
# nothing outside droverd and throws no error, shows a row per instance;
# killing an instance changes its row (a new pid, one restart, ready
# again) without the page reloading, from the event stream alone. The
# page fits a phone's width. Screenshots, wide and narrow, are left in
# $DROVER_ARTIFACTS (default: $DROVER_BIN/artifacts) as dashboard.png
# and dashboard-phone.png.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
export PYTHONPATH=$DROVER_SRC/tests/e2e

CHROMIUM=
for c in chromium chromium-browser google-chrome; do
	command -v "$c" >/dev/null && { CHROMIUM=$(command -v "$c"); break; }
done
[ -n "$CHROMIUM" ] || skip "chromium not installed (Debian package chromium)"
ART=${DROVER_ARTIFACTS:-$DROVER_BIN/artifacts}
mkdir -p "$ART" || fail "cannot create $ART"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_manifest web 'instances: 2' 'restart: {policy: always, backoff: {initial: 0s}}'
service flaky '["/bin/sh", "-c", "exit 3"]' \
	'restart: {policy: always, backoff: {initial: 30s}, limit: {burst: 100, interval: 60s}}'
write_manifest stopped 'instances: 1'
start_droverd --listen "127.0.0.1:$port"
wait_for "web ready" all_ready web 2
wait_state flaky 0 backoff
ctl stop stopped >/dev/null || fail "stop stopped failed"
wait_state stopped 0 exited

python3 - "$CHROMIUM" "http://127.0.0.1:$port/" "$ART" <<'PY' || fail "the dashboard did not show the change live"
import os, signal, sys
from cdp import Browser
chromium, url, art = sys.argv[1:]

ROW = """(() => {
  const r = document.querySelector('tr[data-instance="%s"]');
  if (!r) return null;
  const f = n => r.querySelector('[data-field="' + n + '"]').textContent;
  return {state: r.dataset.state, pid: f("pid"), restarts: f("restarts"),
          text: r.textContent};
})()"""

with Browser(chromium) as b:
    b.viewport(1280, 900)
    b.open(url)
    row = b.wait("(r => r && r.state === 'ready' && /^[0-9]+$/.test(r.pid) && r)(%s)"
                 % (ROW % "web/0"), "web/0's row, ready with a pid")
    assert row["restarts"] == "0", row
    b.wait("document.querySelector('#conn').textContent.includes('live')",
           "the event stream to be live")
    flaky = b.eval(ROW % "flaky/0")
    assert flaky and flaky["state"] == "backoff" and "backoff" in flaky["text"], flaky
    stopped = b.eval("document.querySelector('tr[data-service=\"stopped\"]').textContent")
    assert "stopped" in stopped, stopped
    # The page as it is now; a reload would lose this mark.
    b.eval("window.droverMark = 42; true")
    navigations = b.eval("performance.getEntriesByType('navigation').length")

    os.kill(int(row["pid"]), signal.SIGKILL)
    new = b.wait("(r => r && r.state === 'ready' && /^[0-9]+$/.test(r.pid) && "
                 "r.pid !== '%s' && r.restarts === '1' && r)(%s)"
                 % (row["pid"], ROW % "web/0"), "web/0's row with a new pid")
    assert b.eval("window.droverMark") == 42, "the page reloaded"
    assert b.eval("performance.getEntriesByType('navigation').length") == navigations
    events = b.eval("document.querySelector('#events').textContent")
    assert "web/0" in events and "ready" in events, events
    other = b.eval(ROW % "web/1")
    assert other["restarts"] == "0", other
    b.screenshot(os.path.join(art, "dashboard.png"))

    # A phone: nothing wider than the screen, every field still there.
    b.viewport(390, 844, mobile=True)
    width = b.wait("document.documentElement.scrollWidth")
    assert width <= 390, "the page is %dpx wide on a 390px screen" % width
    assert b.eval("getComputedStyle(document.querySelector('#instances thead')).display") == "none"
    phone = b.eval(ROW % "web/0")
    assert phone["pid"] == new["pid"], (phone, new)
    b.screenshot(os.path.join(art, "dashboard-phone.png"))

    assert not b.errors, b.errors
    foreign = [u for u in b.requests if not u.startswith(url)]
    assert not foreign, foreign
PY
for f in dashboard.png dashboard-phone.png; do
	[ -s "$ART/$f" ] || fail "no screenshot $ART/$f"
	[ "$(head -c 8 "$ART/$f" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
		fail "$ART/$f is not a PNG"
done
log "screenshots: $ART/dashboard.png $ART/dashboard-phone.png"
pass
