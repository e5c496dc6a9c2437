package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/confsuite/apiconform/internal/har"
	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites"
	"github.com/confsuite/apiconform/suites/content"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

const harSchema = "../har/testdata/har-schema"

// replaySuite runs the API's compiled suite on a recording, with no
// target, and reads back its record.
func replaySuite(t *testing.T, api, file string, args ...string) (run, *record.Run) {
	t.Helper()
	reports := t.TempDir()
	cmd := suiteCommand(t, api, append([]string{"--replay=" + file, "--reports=" + reports}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "APICONFORM_") })
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := run{Output: out.String(), Reports: reports}
	if exitErr, ok := err.(*exec.ExitError); ok {
		r.Exit = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("replay %s: %v", api, err)
	}
	rec, rerr := record.Read(record.Path(reports, api))
	if rerr != nil {
		t.Fatalf("the replay of %s left no record (exit %d): %v\n%s", api, r.Exit, rerr, tail(r.Output))
	}
	return r, rec
}

// outcomes are a record's outcomes by spec id.
func outcomes(rec *record.Run) map[string]string {
	out := map[string]string{}
	for _, s := range rec.Specs {
		out[s.ID] = string(s.Outcome) + " " + string(s.Reason)
	}
	return out
}

func readRecord(t *testing.T, r run, api string) *record.Run {
	t.Helper()
	rec, err := record.Read(record.Path(r.Reports, api))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// counts are a record's specs by outcome and reason.
func counts(rec *record.Run) string {
	n := map[string]int{}
	for _, o := range outcomes(rec) {
		n[strings.TrimSpace(o)]++
	}
	keys := slices.Sorted(maps.Keys(n))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, n[k])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// sameOutcomes fails the test for every spec whose outcome differs.
func sameOutcomes(t *testing.T, live, replayed *record.Run) {
	t.Helper()
	want, got := outcomes(live), outcomes(replayed)
	for id, o := range want {
		if got[id] != o {
			msg := ""
			for _, s := range replayed.Specs {
				if s.ID == id {
					msg = s.Message
				}
			}
			t.Errorf("%s: live %q, replayed %q (%s)", id, o, got[id], msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("live run has %d specs, the replay %d", len(want), len(got))
	}
}

// Replaying a run's own recording with the same version gives every spec
// the outcome the live run gave it: every API in every reference profile,
// a failing run (a mutant) and a run with skips. Each recording is HAR
// 1.2, holds no secret, and the replay's reports say what they judged.
func TestReplayOfARecordingGivesTheLiveOutcomes(t *testing.T) {
	skipConfig := filepath.Join(t.TempDir(), "telephony.yaml")
	if err := os.WriteFile(skipConfig, []byte("credentials:\n  valid: tel-admin-token\nvars:\n  client: '1001'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type replayCase struct {
		name, api string
		server    func() http.Handler
		args      []string
		exit      int
	}
	var cases []replayCase
	for _, a := range suites.All {
		for _, p := range a.Profiles {
			name := a.Name
			if p.Name != a.Profiles[0].Name {
				name += "-" + p.Name
			}
			cases = append(cases, replayCase{name: name, api: a.Name, server: func() http.Handler { return p.Server(true) }, args: profileArgs(t, a, p)})
		}
	}
	for _, c := range append(cases, []replayCase{
		{name: "telephony-mutant", api: "telephony", exit: 1, server: func() http.Handler {
			return mutant.Rewrite(reftel.New(reftel.DefaultSeed()), func(_ mutant.Request, r *mutant.Response) {
				if status, _ := mutant.JSONField(r.Body, "status"); status == "user_blocked" {
					mutant.SetJSONField(r, "status", "blocked")
				}
			})
		}},
		{name: "content-mutant", api: "content", exit: 1, server: lenientOnlyContent},
		{name: "telephony-skips", api: "telephony", server: func() http.Handler { return reftel.New(reftel.DefaultSeed()) }, args: []string{"--config=" + skipConfig}},
	}...) {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), c.api+".har")
			live := runSuite(t, c.api, c.server(), nil, append([]string{"--record=" + file}, c.args...)...)
			if live.Exit != c.exit {
				t.Fatalf("live run: exit %d, want %d\n%s", live.Exit, c.exit, tail(live.Output))
			}
			if err := har.CheckSchema(file, harSchema); err != nil {
				t.Fatal(err)
			}
			checkRecording(t, file, live)
			liveRec := readRecord(t, live, c.api)
			if liveRec.Recording != file {
				t.Errorf("the live record names recording %q, want %q", liveRec.Recording, file)
			}
			replayed, rec := replaySuite(t, c.api, file, c.args...)
			if replayed.Exit != live.Exit {
				t.Errorf("replay: exit %d, live %d\n%s", replayed.Exit, live.Exit, tail(replayed.Output))
			}
			sameOutcomes(t, liveRec, rec)
			if info, err := os.Stat(file); err == nil {
				t.Logf("%s: recording %d bytes; live exit %d %s; replay exit %d %s", c.name, info.Size(), live.Exit, counts(liveRec), replayed.Exit, counts(rec))
			}
			if c.name == "telephony-skips" && !slices.ContainsFunc(rec.Specs, func(s record.Spec) bool { return s.Reason == record.Configuration }) {
				t.Error("the run with skips skipped nothing")
			}
			if c.exit == 1 && !slices.ContainsFunc(rec.Specs, func(s record.Spec) bool { return s.Outcome == record.NotConformant }) {
				t.Error("the mutant's replay finds nothing not conformant")
			}
			if r := rec.Replay; r == nil || r.File != file || r.Version != liveRec.Version || !r.Recorded.Equal(liveRec.Started) || r.Target != liveRec.Target {
				t.Errorf("the replay's record should name the recording, when and by which version it was made: %+v", r)
			}
			s, err := junit.Read(filepath.Join(replayed.Reports, c.api+".xml"))
			if err != nil || len(s) != 1 || s[0].Properties["replay"] != file {
				t.Errorf("the JUnit report should name the replayed recording: %v", err)
			}
			page, _ := os.ReadFile(filepath.Join(replayed.Reports, "index.html"))
			if !strings.Contains(string(page), "judged from a recording") {
				t.Error("index.html does not say the run is a replay")
			}
		})
	}
}

// checkRecording: every spec that sent a request has its entries, each
// tagged with its outcome; no secret of the configuration is in it.
func checkRecording(t *testing.T, file string, live run) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"tel-admin-token", "tel-blocked-token", "content-key"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the recording holds the secret %q", s)
		}
	}
	h, err := har.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Log.Entries) == 0 || h.Log.Run == nil {
		t.Fatal("an empty recording")
	}
	for _, e := range h.Log.Entries {
		if e.Spec != "" && (e.Outcome == "" || e.Row == "") {
			t.Errorf("entry of %s has no row or outcome", e.Spec)
		}
	}
	if !strings.Contains(live.Output, "recording: "+file) {
		t.Errorf("the run does not name its recording\n%s", tail(live.Output))
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs("../../fixtures/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// lenientOnlyContent answers with the page's examples' spellings, which
// only --reading=lenient accepts (TestReadingSwitchesBetweenStrictAndLenient).
func lenientOnlyContent() http.Handler {
	return content.RewriteMessages(reference("content"), func(_ int, msgs []string) []string {
		for i, m := range msgs {
			m = strings.Replace(m, "Incorrect value", "Unknown value", 1)
			msgs[i] = strings.Replace(m, "not supported", "not upported", 1)
		}
		return msgs
	})
}

// A HAR as another tool writes it (a proxy's or a browser's export: none
// of the suite's _ fields, the secrets themselves in the headers, header
// names in lower case) replays too, with the live run's outcomes, matched
// by method, path, query, headers and body alone.
func TestHARFromAnotherToolWithTheSameRequestsReplays(t *testing.T) {
	for _, a := range suites.All {
		c := struct {
			api    string
			server http.Handler
		}{a.Name, a.Profiles[0].Server(true)}
		t.Run(c.api, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, c.api+".har")
			live := runSuite(t, c.api, c.server, nil, "--record="+file)
			foreign := filepath.Join(dir, "foreign.har")
			asAnotherTool(t, file, foreign, a)
			if err := har.CheckSchema(foreign, harSchema); err != nil {
				t.Fatal(err)
			}
			_, rec := replaySuite(t, c.api, foreign)
			sameOutcomes(t, readRecord(t, live, c.api), rec)
			if rec.Replay == nil || rec.Replay.Version != "other-proxy 2.1" {
				t.Errorf("the replay should name the tool that wrote the HAR: %+v", rec.Replay)
			}
		})
	}
}

// asAnotherTool rewrites a recording as another tool would have written
// it: the _ fields gone, each [redacted:credentials.<role>] marker the
// secret of the API's default configuration again, header names in lower case.
func asAnotherTool(t *testing.T, from, to string, a *suite.API) {
	t.Helper()
	raw, err := os.ReadFile(configFile(t, a.Profiles[0].Config, ""))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Credentials map[string]string `yaml:"credentials"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile(`\[redacted:credentials\.([^\]|]+)[^\]]*\]`)
	text = marker.ReplaceAllFunc(text, func(m []byte) []byte {
		return []byte(cfg.Credentials[string(marker.FindSubmatch(m)[1])])
	})
	var doc map[string]any
	if err := json.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	log := doc["log"].(map[string]any)
	log["creator"] = map[string]any{"name": "other-proxy", "version": "2.1"}
	var strip func(v any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if strings.HasPrefix(k, "_") {
					delete(v, k)
					continue
				}
				strip(x)
			}
		case []any:
			for _, x := range v {
				strip(x)
			}
		}
	}
	strip(doc)
	for _, e := range log["entries"].([]any) {
		for _, side := range []string{"request", "response"} {
			for _, h := range e.(map[string]any)[side].(map[string]any)["headers"].([]any) {
				h.(map[string]any)["name"] = strings.ToLower(h.(map[string]any)["name"].(string))
			}
		}
	}
	out, _ := json.Marshal(doc)
	if !bytes.Contains(out, []byte(cfg.Credentials["valid"])) || bytes.Contains(out, []byte("[redacted:")) || bytes.Contains(out, []byte(`"_`)) {
		t.Fatal("the rewritten HAR should hold the secrets and none of the suite's fields")
	}
	if err := os.WriteFile(to, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A recording made under the strict reading, judged again under the
// lenient one: the rows only the strict reading fails are conformant, the
// rest as recorded, without the deployment.
func TestRecordingIsJudgedAgainUnderAnotherReading(t *testing.T) {
	file := filepath.Join(t.TempDir(), "content.har")
	live := runSuite(t, "content", lenientOnlyContent(), nil, "--record="+file)
	liveRec := readRecord(t, live, "content")
	_, rec := replaySuite(t, "content", file, "--reading=lenient")
	if rec.Reading != "lenient" {
		t.Errorf("the replay's reading is %q", rec.Reading)
	}
	before, after := outcomes(liveRec), outcomes(rec)
	changed := 0
	for _, s := range liveRec.Specs {
		switch {
		case s.Row == "con.405.method":
			if before[s.ID] != "not_conformant " || after[s.ID] != "conformant " {
				t.Errorf("%s: strict %q, lenient replay %q: want not conformant, then conformant", s.ID, before[s.ID], after[s.ID])
			}
			changed++
		case s.Row == "con.422.allowed-values":
			// The example's wording is the page's own: both readings take it.
			if before[s.ID] != "conformant " || after[s.ID] != "conformant " {
				t.Errorf("%s: strict %q, lenient replay %q: want conformant in both", s.ID, before[s.ID], after[s.ID])
			}
		case s.Row == "con.422.not-supported":
		case before[s.ID] != after[s.ID]:
			t.Errorf("%s: strict %q, lenient replay %q", s.ID, before[s.ID], after[s.ID])
		}
	}
	if changed == 0 {
		t.Error("no spec of the lenient-only rows in the run")
	}
	t.Logf("strict live run %s; lenient replay %s", counts(liveRec), counts(rec))
}

// A spec whose requests the recording does not hold (another
// configuration) is not checked, naming the difference; none reads not
// conformant for it, and a HAR file that cannot be read, or --replay
// beside --target or --record, stops the run before anything, naming the
// flag.
func TestReplayOfAnotherConfigurationIsNotChecked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "telephony.har")
	live := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--record="+file)
	if live.Exit != 0 {
		t.Fatalf("live run: exit %d\n%s", live.Exit, tail(live.Output))
	}
	replayed, rec := replaySuite(t, "telephony", file, "--config="+fixture(t, "telephony-variant.yaml"))
	if replayed.Exit != 1 {
		t.Errorf("replay of another configuration: exit %d, want 1", replayed.Exit)
	}
	named := 0
	for _, s := range rec.Specs {
		if s.Outcome == record.NotConformant {
			t.Errorf("%s reads not conformant for a request the recording does not hold: %s", s.ID, s.Message)
		}
		if s.Outcome == record.NotChecked && s.Reason == record.Unreachable && strings.HasPrefix(s.Message, "not in the recording: ") &&
			strings.Contains(s.Message, "recorded") {
			named++
		}
	}
	if named == 0 {
		t.Errorf("no spec reads not checked, not in the recording, naming the difference\n%s", tail(replayed.Output))
	}

	srv := httptest.NewServer(reftel.New(reftel.DefaultSeed()))
	defer srv.Close()
	bad := filepath.Join(t.TempDir(), "bad.har")
	_ = os.WriteFile(bad, []byte(`{"not":"a har"}`), 0o644)
	for _, c := range []struct {
		api  string
		args []string
		flag string
	}{
		{"telephony", []string{"--replay=" + bad}, "--replay"},
		{"telephony", []string{"--replay=" + filepath.Join(t.TempDir(), "missing.har")}, "--replay"},
		{"telephony", []string{"--replay=" + file, "--target=" + srv.URL}, "--target"},
		{"telephony", []string{"--replay=" + file, "--record=" + filepath.Join(t.TempDir(), "x.har")}, "--record"},
		{"content", []string{"--replay=" + file}, "a recording of the telephony API"},
	} {
		reports := t.TempDir()
		out, err := suiteCommand(t, c.api, append(c.args, "--reports="+reports)...).CombinedOutput()
		exitErr, ok := err.(*exec.ExitError)
		if !ok || exitErr.ExitCode() != 2 || !strings.Contains(string(out), c.flag) {
			t.Errorf("%v: want exit 2 naming %s, got %v\n%s", c.args, c.flag, err, tail(string(out)))
		}
		if rec, err := record.Read(record.Path(reports, c.api)); err != nil || rec.Stopped == "" {
			t.Errorf("%v: the record should say the run could not start: %v", c.args, err)
		}
	}
}

// A recorded run that cannot start (nothing speaks HTTP at the target)
// leaves neither a recording nor a part of one.
func TestRecordedRunThatCannotStartLeavesNoRecording(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL
	srv.Close() // nothing listens there any more
	dir := t.TempDir()
	out, err := suiteCommand(t, "telephony", "--target="+target, "--reports="+t.TempDir(), "--record="+filepath.Join(dir, "run.har")).CombinedOutput()
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != 2 {
		t.Fatalf("want exit 2, got %v\n%s", err, tail(string(out)))
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left in the recording's folder: %v", left)
	}
}

// Under ginkgo -p every process's exchanges end in the one recording, in
// order of time, and its replay gives the live outcomes.
func TestRecordingUnderGinkgoParallel(t *testing.T) {
	srv := httptest.NewServer(reference("content"))
	defer srv.Close()
	reports := t.TempDir()
	file := filepath.Join(t.TempDir(), "content.har")
	cmd := exec.Command("go", "tool", "ginkgo", "-p", "--procs=3", "--no-color", filepath.Join(binDir, "content.test"), "--",
		"--target="+srv.URL, "--reports="+reports, "--record="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ginkgo -p: %v\n%s", err, tail(string(out)))
	}
	if err := har.CheckSchema(file, harSchema); err != nil {
		t.Fatal(err)
	}
	h, err := har.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	processes := map[int]bool{}
	for i, e := range h.Log.Entries {
		processes[e.Process] = true
		if i > 0 && e.StartedDateTime < h.Log.Entries[i-1].StartedDateTime {
			t.Fatalf("entry %d is out of order of time", i)
		}
	}
	if len(processes) < 2 {
		t.Errorf("the recording holds the entries of %d process(es), want every one's", len(processes))
	}
	if parts, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".content.har.*")); len(parts) > 0 {
		t.Errorf("part files left: %v", parts)
	}
	live, err := record.Read(record.Path(reports, "content"))
	if err != nil {
		t.Fatal(err)
	}
	_, rec := replaySuite(t, "content", file)
	sameOutcomes(t, live, rec)
}
