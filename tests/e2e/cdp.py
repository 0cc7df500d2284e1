"""cdp.py — drive headless Chromium from the e2e tests, with the standard
library only: the DevTools protocol over --remote-debugging-pipe (JSON
messages separated by NUL bytes; Chromium reads fd 3 and writes fd 4).

    with Browser(chromium) as b:
        b.open(url)
        b.wait("document.title === 'drover'")
        png = b.screenshot()

Every wait is bounded; a page exception or a request to another origin
is recorded in b.errors / b.requests for the test to judge.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, chromium, timeout=30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="drover-chromium.")
        self.next_id = 0
        self.buf = b""
        self.session = None
        self.errors = []      # exceptions thrown by the page
        self.requests = []    # every URL the page asked for
        cmd_r, self.cmd_w = self._pipe()
        self.out_r, out_w = self._pipe()
        args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--mute-audio",
            "--user-data-dir=" + self.profile, "--remote-debugging-pipe",
            "about:blank",
        ]
        # fds 3 and 4 of the browser are the two pipes.
        shell = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (
            cmd_r, out_w, cmd_r, out_w)
        self.proc = subprocess.Popen(
            ["bash", "-c", shell, chromium] + args, pass_fds=(cmd_r, out_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.profile, "stderr.log"), "wb"))
        os.close(cmd_r)
        os.close(out_w)
        target = self.call("Target.createTarget", url="about:blank")
        self.session = self.call("Target.attachToTarget",
                                 targetId=target["targetId"],
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.call(domain + ".enable")

    @staticmethod
    def _pipe():
        """A pipe whose fds are above 4, so they never clash with 3 and 4."""
        fds = []
        for fd in os.pipe():
            fds.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
            os.close(fd)
        return fds

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.session = None
                self.call("Browser.close", timeout=5)
            except (CDPError, OSError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self.cmd_w, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def stderr_tail(self):
        """Chromium's last lines of its own, without D-Bus complaints."""
        try:
            with open(os.path.join(self.profile, "stderr.log"), "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join([l for l in lines if "dbus" not in l][-10:])

    def _send(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.cmd_w, data):]

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("no answer from chromium in time")
            if not select.select([self.out_r], [], [], left)[0]:
                continue
            chunk = os.read(self.out_r, 1 << 16)
            if not chunk:
                raise CDPError("chromium closed the pipe (exit %s): %s" %
                               (self.proc.poll(), self.stderr_tail()))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\0", 1)
        return json.loads(line)

    def _note(self, msg):
        method = msg.get("method")
        params = msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append(d.get("exception", {}).get(
                "description") or d.get("text"))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url"))

    def call(self, method, timeout=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        self._send(msg)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            answer = self._read(deadline)
            if answer.get("id") != self.next_id:
                self._note(answer)
                continue
            if "error" in answer:
                raise CDPError("%s: %s" % (method, answer["error"]))
            return answer.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expression, r["exceptionDetails"]))
        return r.get("result", {}).get("value")

    def wait(self, expression, what=None, timeout=20):
        """Until expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.eval(expression)
            if v:
                return v
            if time.monotonic() > deadline:
                raise CDPError("timed out waiting for " + (what or expression))
            time.sleep(0.1)

    def viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width,
                  height=height, deviceScaleFactor=1, mobile=mobile)

    def open(self, url):
        self.call("Page.navigate", url=url)

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
