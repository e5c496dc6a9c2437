package selftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/suites/content"
	refcon "github.com/confsuite/apiconform/suites/content/refserver"
)

func TestContentFaultTriggerIsOffByDefault(t *testing.T) {
	r := runSuite(t, "content", refcon.New(refcon.DefaultSeed()), nil, "--ginkgo.label-filter=con.500.internal")
	if r.Exit == 0 || r.Report.Failures != 0 || r.Report.Errors < 3 {
		t.Fatalf("without the fault trigger the three 500 specs must fail the run as not checked, none as not conformant, got exit %d %+v", r.Exit, r.Report)
	}
	for _, c := range r.Report.Results {
		if c.Outcome == "error" && strings.HasPrefix(c.Name, "500") && !strings.Contains(c.Message, "[not checked: precondition]") {
			t.Errorf("%s: %s", c.Name, c.Message)
		}
	}
}

var contentSecrets = map[string]string{
	"valid": "SECRET-key-8c1e", "invalid": "SECRET-badkey-02af", "suspended": "SECRET-suspended-6d3b",
	"unbound": "SECRET-unbound-91c0", "limited": "SECRET-limited-4f27", "rate_limit": "SECRET-ratekey-b8e5",
}

func TestContentSecretsStayOutOfReportsAndOutput(t *testing.T) {
	roles := map[string]string{
		"content-key": "valid", "content-suspended-key": "suspended", "content-unbound-key": "unbound",
		"content-limited-key": "limited", "content-rate-key": "rate_limit",
	}
	seed := refcon.DefaultSeed()
	keys := map[string]refcon.Key{}
	for old, k := range seed.Keys {
		keys[contentSecrets[roles[old]]] = k
	}
	seed.Keys, seed.Fault = keys, true
	cfg, env := secretConfig(t, "content.yaml", contentSecrets)
	r := runSuite(t, "content", refcon.New(seed), env, "--config="+cfg, "--ginkgo.v")
	if r.Exit != 0 {
		t.Fatalf("exit %d\n%s", r.Exit, tail(r.Output))
	}
	if !strings.Contains(r.Output, "[redacted:credentials.valid]") {
		t.Fatalf("the verbose output shows no redacted exchange: the check would prove nothing\n%s", tail(r.Output))
	}
	assertNoSecret(t, r, contentSecrets)
}

// With vars.client_ip unset, {IP} of the 401 message is still held to the
// address of the suite's connection (the target is on loopback): a message
// naming another address, or the page's example address, fails the 401
// row and no other; the run notes that {IP} was not pinned.
func TestContentUnpinnedIPIsTheConnectionsAddress(t *testing.T) {
	fixture, err := os.ReadFile("../../fixtures/content.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "content.yaml")
	text := strings.Replace(string(fixture), "client_ip: 127.0.0.1", "", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"10.9.8.7", "0:0:0:0:0:0:0:0"} {
		server := content.RewriteMessages(reference("content"), func(code int, msgs []string) []string {
			if code != 401 {
				return msgs
			}
			for i, m := range msgs {
				msgs[i] = strings.Replace(m, "127.0.0.1", other, 1)
			}
			return msgs
		})
		r := runSuite(t, "content", server, nil, "--config="+cfg)
		failing := r.failedRows()
		if len(failing) != 1 || len(failing["con.401.auth-failed"]) != 12 {
			t.Errorf("%s: want the twelve 401 specs failed and no other, got %v\n%s", other, failing, tail(r.Output))
		}
		if !strings.Contains(r.Output, "vars.client_ip is not set") || !strings.Contains(r.Output, "127.0.0.1") {
			t.Errorf("the run should note that {IP} was not pinned, and the connection's address:\n%s", tail(r.Output))
		}
	}
}
