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

// The HTML report renders in a real browser with no console message, and
// shows a failure's requirement, broken parts, exchange and curl command.
// It needs Debian's chromium (`make tools` installs it).
func TestHTMLInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed, so index.html is not checked in a browser: `make tools` installs it (apt-get install chromium)")
	}
	dir := t.TempDir()
	if err := Write(dir, testRuns); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "index.html")

	// The check of console messages must see one when there is one.
	control := filepath.Join(dir, "control.html")
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
		`<article class="failure" id="f-telephony-default-1">`,
		"403 user_blocked: blocked user's token",
		"line 23",
		"Данный пользователь либо клиент, к которому относится пользователь, заблокирован",
		"this user, or the client the user belongs to, is blocked",
		"<li>code: want HTTP 403, got 200</li>",
		`&lt; {"name":"&lt;script&gt;alert(1)&lt;/script&gt;"}`,
		"curl -sS -i -X GET 'http://127.0.0.1:8080/api/ver1.0/client/@me/'",
		"<li>message: want \"Internal server error\", got [\"Model not found\"]</li>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("the rendered page holds a script element")
	}

	shot := filepath.Join(dir, "report.png")
	chromium(t, bin, page, "--screenshot="+shot, "--window-size=1280,2000")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Errorf("screenshot %s is not a rendered page (%d bytes)", shot, len(png))
	}
	t.Logf("screenshot: %s", shot)
	if *out != "" {
		if err := os.WriteFile(filepath.Join(*out, "report.png"), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
