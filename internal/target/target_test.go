package target_test

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/confsuite/apiconform/fixtures"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/suites/content"
	"github.com/confsuite/apiconform/suites/telephony"
)

// loadTelephony reads a Telephony configuration over its defaults, as a
// run does: the generic loading (target.Load) with the API's own keys.
func loadTelephony(src target.Source, r *runner.Redactor) (*telephony.Config, error) {
	cfg, err := telephony.API.Load(src, r)
	if err != nil {
		return nil, err
	}
	return cfg.(*telephony.Config), nil
}

// loadContent reads a Content configuration over its defaults.
func loadContent(src target.Source, r *runner.Redactor) (*content.Config, error) {
	cfg, err := content.API.Load(src, r)
	if err != nil {
		return nil, err
	}
	return cfg.(*content.Config), nil
}

func source(yaml string) target.Source {
	return target.Source{Name: "test.yaml", Dir: fstest.MapFS{"test.yaml": {Data: []byte(yaml)}}, File: "test.yaml"}
}

func TestConfigurationErrorsNameTheKey(t *testing.T) {
	t.Setenv("APICONFORM_SET", "x")
	for _, c := range []struct {
		name, yaml, want string
		content          bool
	}{
		{"unknown key", "credentials:\n  valid: x2345678\nvars: {client: '1'}\nlimits: {max_create: 3}\n", "max_create", false},
		{"unknown key says where every key is", "credentials:\n  valid: x2345678\nlimits: {max_create: 3}\n", "--print-defaults shows them", false},
		{"misspelt var says where the vars are", "credentials: {valid: x2345678}\nvars: {clent: '1'}\n", "--print-defaults shows them", false},
		{"duplicate key", "credentials:\n  valid: x2345678\n  valid: y2345678\n", "valid", false},
		{"wrong type", "credentials: {valid: x2345678}\nlimits: {max_created: many}\n", "limits.max_created (line 2)", false},
		{"misspelt var", "credentials: {valid: x2345678}\nvars: {clent: '1'}\n", "vars.clent: no request uses it", false},
		{"misspelt credential", "credentials: {valid: x2345678, expird: y2345678}\n", "credentials.expird", false},
		{"unset variable names the key", "credentials:\n  valid: '${APICONFORM_UNSET}'\n", "credentials.valid (line 2)", false},
		{"missing required", "vars: {client: '1'}\n", "credentials.valid", false},
		{"unset variable", "credentials: {valid: '${APICONFORM_UNSET}'}\n", "APICONFORM_UNSET", false},
		{"short secret", "credentials: {valid: abc}\n", "credentials.valid", false},
		{"secret with a line break", "credentials: {valid: \"abcdefgh\\nijk\"}\n", "credentials.valid", false},
		{"path naming a host", "credentials: {valid: x2345678}\nrequests: {blocked_user: {path: 'http://evil.invalid/x'}}\n", "requests.blocked_user.path", false},
		{"misspelt placeholder", "credentials: {valid: x2345678}\nrequests: {blocked_user: {path: '/c/{clent}/'}}\n", "requests.blocked_user.path", false},
		{"unknown step", "credentials: {valid: x2345678}\nrequests: {blocked: {path: '/x'}}\n", "requests.blocked", false},
		{"unknown credential", "credentials: {valid: x2345678}\nrequests: {blocked_user: {as: admin}}\n", "requests.blocked_user.as", false},
		{"missing upload file", "credentials: {valid: x2345678}\nvars: {upload_file: nope.wav}\n", "requests.upload_large_file.body.file", false},
		{"flow style: a wrong type names its own key", "credentials: {valid: x2345678}\nretry: {attempts: 3, max_wait: 11}\n", "retry.max_wait (line 2): cannot unmarshal", false},
		{"flow style: an unknown key names itself", "credentials: {valid: x2345678}\nretry: {attempts: 3, max_wat: 11s}\n", "retry.max_wat (line 2): unknown key", false},
		{"flow style: a long wrong value", "credentials: {valid: x2345678}\nlimits: {max_created: 3, max_rate_requests: manymanymany}\n", "limits.max_rate_requests (line 2)", false},
		{"creates a kind the suite cannot remove", "credentials: {valid: x2345678}\nrequests: {create_extension: {creates: user}}\n", "requests.create_extension.creates: \"user\": the suite has no step remove_user", false},
		{"id source with neither field nor header", "credentials: {valid: x2345678}\nrequests: {create_extension: {id: {pattern: '(x)'}}}\n", "requests.create_extension.id: give field or header", false},
		{"id pattern without a group", "credentials: {valid: x2345678}\nids: {archive: {header: Location, pattern: '/archive/.+'}}\n", "ids.archive.pattern", false},
		{"ids of a kind the suite never creates", "credentials: {valid: x2345678}\nids: {user: {header: Location}}\n", "ids.user: the suite creates no user", false},
		{"address outside a removal", "credentials: {valid: x2345678}\nrequests: {blocked_user: {path: '{address}'}}\n", "requests.blocked_user.path: {address}", false},
		{"content bad resource", "credentials: {valid: x2345678}\nresources: [{method: GET, path: '//evil.invalid/'}]\n", "resources[0].path", true},
		{"content bad format values", "credentials: {valid: x2345678}\nformat_values: {xml: ''}\n", "format_values", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.content {
				_, err = loadContent(source(c.yaml), runner.NewRedactor())
			} else {
				_, err = loadTelephony(source(c.yaml), runner.NewRedactor())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "test.yaml") {
				t.Fatalf("want an error naming %q and the file, got %v", c.want, err)
			}
		})
	}
}

func TestSecretsFromTheEnvironmentAreRedacted(t *testing.T) {
	t.Setenv("APICONFORM_TOKEN", "from-env-3f9a")
	r := runner.NewRedactor()
	cfg, err := loadTelephony(source("credentials: {valid: '${APICONFORM_TOKEN}'}\n"), r)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Credentials["valid"].Value != "from-env-3f9a" {
		t.Fatalf("secret not read from the environment: %+v", cfg.Credentials["valid"])
	}
	if got := r.Redact("Bearer from-env-3f9a"); got != "Bearer [redacted:credentials.valid]" {
		t.Fatalf("redacted to %q", got)
	}
}

func TestBuiltInFixturesLoad(t *testing.T) {
	if _, err := loadTelephony(target.Source{Name: "telephony.yaml", Dir: fixtures.Files, File: "telephony.yaml"}, runner.NewRedactor()); err != nil {
		t.Fatal(err)
	}
	if _, err := loadContent(target.Source{Name: "content.yaml", Dir: fixtures.Files, File: "content.yaml"}, runner.NewRedactor()); err != nil {
		t.Fatal(err)
	}
}

func TestFillRefusesUnknownPlaceholders(t *testing.T) {
	if _, err := target.Fill("/client/{clent}/", map[string]string{"client": "1"}); err == nil {
		t.Fatal("a misspelt placeholder was filled silently")
	}
	if got, err := target.Fill("/client/{client}/x", map[string]string{"client": "@me"}); err != nil || got != "/client/@me/x" {
		t.Fatalf("got %q %v", got, err)
	}
}

func TestOverridesMergeOverTheDefaults(t *testing.T) {
	cfg, err := loadTelephony(source(`credentials: {valid: x2345678, partner: p2345678}
vars: {client: "1"}
requests:
  blocked_user: {path: "/pbx/{client}", headers: {X-Trace: "{client}"}}
  tel.403.access_denied/foreign_client: {as: partner}
`), runner.NewRedactor())
	if err != nil {
		t.Fatal(err)
	}
	s, key, err := cfg.Step("tel.403.user_blocked", "blocked_user")
	if err != nil || key != "requests.blocked_user" || s.Method != "GET" || s.Path != "/pbx/{client}" || s.As != "blocked_user" || s.Headers["X-Trace"] != "{client}" {
		t.Fatalf("merged step %+v under %s (%v)", s, key, err)
	}
	s, key, _ = cfg.Step("tel.403.access_denied", "foreign_client")
	if key != "requests.tel.403.access_denied/foreign_client" || s.As != "partner" || s.Path != "/client/{foreign_client}/" {
		t.Fatalf("row override %+v under %s", s, key)
	}
	if s, _, _ = cfg.Step("tel.404.client_not_found", "foreign_client"); s.As != "" {
		t.Fatalf("a row's override reached another row: %+v", s)
	}
}

func TestErrorsComeInAStableOrder(t *testing.T) {
	yaml := "vars: {client: '1'}\nrequests: {blocked_user: {path: x}, token_missing: {path: y}, foreign_client: {path: z}}\n"
	_, first := loadTelephony(source(yaml), runner.NewRedactor())
	for i := 0; i < 5; i++ {
		if _, err := loadTelephony(source(yaml), runner.NewRedactor()); err == nil || err.Error() != first.Error() {
			t.Fatalf("errors changed order:\n%v\n%v", first, err)
		}
	}
}

// Fresh values follow the deployment's template, and one process never
// gives the same twice, even from a narrow template.
func TestFreshValuesFollowTheTemplate(t *testing.T) {
	f := target.NewFreshener(map[string]string{"name": "{digits:2}", "code": "x-{letters:3}"})
	seen := map[string]bool{}
	for range 60 {
		v := f.Values()
		if !regexp.MustCompile(`^[0-9]{2}$`).MatchString(v["name"]) || v["email"] != v["name"]+"@apiconform.invalid" || !regexp.MustCompile(`^x-[a-z]{3}$`).MatchString(v["code"]) {
			t.Fatalf("values %v do not follow their templates", v)
		}
		if seen[v["name"]] {
			t.Fatalf("name %s given twice", v["name"])
		}
		seen[v["name"]] = true
	}
}

func TestFreshTemplatesAreCheckedAtLoad(t *testing.T) {
	for yaml, want := range map[string]string{
		"credentials: {valid: x2345678}\nfresh: {name: fixed}\n":                  "fresh.name: \"fixed\" has no random part",
		"credentials: {valid: x2345678}\nfresh: {name: \"{digits:0}\"}\n":         "fresh.name: {digits:0}",
		"credentials: {valid: x2345678}\nfresh: {email: \"{nme}@x.test\"}\n":      "fresh.email: {nme} is no fresh value",
		"credentials: {valid: x2345678}\nfresh: {name: \"{email}-{digits:3}\"}\n": "a fresh value may name another only when that one names none",
	} {
		if _, err := loadTelephony(source(yaml), runner.NewRedactor()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want an error with %q, got %v", yaml, want, err)
		}
	}
}

// Processes of a parallel run give values from lanes apart.
func TestFreshValuesOfTwoProcessesNeverMeet(t *testing.T) {
	a, b := target.NewFreshener(map[string]string{"name": "{digits:2}"}), target.NewFreshener(map[string]string{"name": "{digits:2}"})
	a.Lane(1, 2)
	b.Lane(2, 2)
	seen := map[string]int{}
	for range 40 {
		seen[a.Values()["name"]] |= 1
		seen[b.Values()["name"]] |= 2
	}
	for v, from := range seen {
		if from == 3 {
			t.Fatalf("both processes gave %s", v)
		}
	}
}
