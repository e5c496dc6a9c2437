package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium runs headless Chromium on a page with args added, and returns
// what it printed: the DOM with --dump-dom, and its log (console messages
// are INFO:CONSOLE lines).
func chromium(t *testing.T, bin, page string, args ...string) (stdout, log string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.String(), errs.String()
}

var console = regexp.MustCompile(`(?m)^.*:CONSOLE[:(\]].*$`)

// layoutCheck, added to a copy of the page only, opens every <details>
// and writes into the page what wrapped that must not: a timestamp, or
// code (an id, a key, a path, a URL) broken over two lines; and whether
// the page is wider than the window.
const layoutCheck = `<pre id="layout-check"></pre><script>
for (const d of document.querySelectorAll("details")) d.open = true;
const out = [];
let n = 0;
for (const e of document.querySelectorAll(".ts, code")) {
  const rects = e.getClientRects().length;
  if (rects === 0) continue;
  n++;
  if (rects > 1) out.push("wrapped: " + e.textContent);
}
const w = document.documentElement.scrollWidth;
if (w > window.innerWidth) out.push("page " + w + "px wide in a " + window.innerWidth + "px window");
out.push("checked " + n);
document.getElementById("layout-check").textContent = out.join("\n");
</script>`

// The HTML report of a folder with a vendor's own run (a target that is
// not this machine, its own configuration file) and runs with every
// outcome and reason renders in a real browser with no console message,
// shows each, and wraps no timestamp, id or URL. It needs Debian's
// chromium (`make tools` installs it). With -out, the screenshot is kept
// there as report.png.
func TestHTMLInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed, so index.html is not checked in a browser: `make tools` installs it (apt-get install chromium)")
	}
	dir := folder(t)
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "index.html")
	scratch := t.TempDir()

	// The check of console messages must see one when there is one.
	control := filepath.Join(scratch, "control.html")
	if err := os.WriteFile(control, []byte(`<!DOCTYPE html><p>control</p><script>console.error("control-message")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, log := chromium(t, bin, control, "--dump-dom"); !strings.Contains(strings.Join(console.FindAllString(log, -1), "\n"), "control-message") {
		t.Fatalf("chromium's log shows no console message of the control page, so the check below would see none either:\n%s", log)
	}

	dom, log := chromium(t, bin, page, "--dump-dom")
	if msgs := console.FindAllString(log, -1); len(msgs) > 0 {
		t.Errorf("index.html logs to the console:\n%s", strings.Join(msgs, "\n"))
	}
	for _, want := range []string{
		// the verdict of each API in each profile
		">NOT CONFORMANT</span>", ">not checked</span>", ">known failures only</span>", ">conformant</span>",
		// every outcome, every reason
		"✗ not conformant</span> blocked user's token", "– not checked: configuration</span> request burst",
		"– not checked: precondition</span> second archive request", "– not checked: unreachable</span> oversized request body",
		"– not checked: interrupted</span> oversized upload", "– not checked: suite defect</span> argument of wrong type",
		"○ not checked: filtered", "≈ known failure</span> token expired", "◇ stale baseline</span> another client's resource",
		// a finding, a stop, a leftover
		"<b>first check credentials</b>: the target refuses credentials.valid",
		"<b>the run stopped</b>: interrupted (SIGINT) after 31 of 33 specs",
		"<code>extension 7003</code>: remove_extension answered 500",
		// the vendor's run as it was asked
		"<code>https://api.vendor.example/telephony</code>", "<code>/home/vendor/conformance/my-telephony.yaml</code>",
		// the requirement and the exchange
		"line 23", "Данный пользователь либо клиент, к которому относится пользователь, заблокирован",
		"this user, or the client the user belongs to, is blocked",
		"<li>code: want HTTP 403, got 200</li>",
		`&lt; {"name":"&lt;script&gt;alert(1)&lt;/script&gt;"}`,
		"$ curl -sS -i -X GET 'https://api.vendor.example/telephony/api/ver1.0/client/@me/'",
		// what could not be read
		"<code>billing.json</code>", "<code>variant/old.json</code>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("the rendered page holds a script element")
	}

	// Layout, at the width the screenshot is taken.
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, "layout-check.html")
	if err := os.WriteFile(probe, bytes.Replace(raw, []byte("</body>"), []byte(layoutCheck+"</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)
	dom, _ = chromium(t, bin, probe, "--dump-dom", "--window-size=1280,2000")
	m := regexp.MustCompile(`(?s)<pre id="layout-check">(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the layout check did not run")
	}
	lines := strings.Split(strings.TrimSpace(m[1]), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "checked ") || last == "checked 0" {
		t.Errorf("the layout check saw nothing: %q", m[1])
	}
	for _, l := range lines[:len(lines)-1] {
		t.Errorf("layout: %s", l)
	}

	shot := filepath.Join(scratch, "report.png")
	chromium(t, bin, page, "--screenshot="+shot, "--window-size=1280,2000")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Errorf("screenshot %s is not a rendered page (%d bytes)", shot, len(png))
	}
	if *out != "" {
		if err := os.WriteFile(filepath.Join(*out, "report.png"), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
