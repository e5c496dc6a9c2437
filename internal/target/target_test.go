package target

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/confsuite/apiconform/fixtures"
	"github.com/confsuite/apiconform/runner"
)

func source(yaml string) Source {
	return Source{Name: "test.yaml", Dir: fstest.MapFS{"test.yaml": {Data: []byte(yaml)}}, File: "test.yaml"}
}

func TestConfigurationErrorsNameTheKey(t *testing.T) {
	t.Setenv("APICONFORM_SET", "x")
	for _, c := range []struct {
		name, yaml, want string
		content          bool
	}{
		{"unknown key", "tokens:\n  valid: x\n  vaild: y\nids: {client: '1'}\n", "vaild", false},
		{"duplicate key", "tokens:\n  valid: x\n  valid: y\nids: {client: '1'}\n", "valid", false},
		{"wrong type", "tokens: {valid: x}\nids: {client: '1'}\nlimits: {max_created: many}\n", "many", false},
		{"missing required", "ids: {client: '1'}\n", "tokens.valid", false},
		{"unset variable", "tokens: {valid: '${APICONFORM_UNSET}'}\nids: {client: '1'}\n", "APICONFORM_UNSET", false},
		{"path naming a host", "tokens: {valid: x}\nids: {client: '1'}\npaths: {client: 'http://evil.invalid/x'}\n", "paths.client", false},
		{"missing upload file", "tokens: {valid: x}\nids: {client: '1'}\nupload: {file: nope.wav}\n", "upload.file", false},
		{"content without model", "keys: {valid: x}\n", "model_id", true},
		{"content bad fault path", "keys: {valid: x}\nmodel_id: '1'\nfault_path: '//evil.invalid/'\n", "fault_path", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.content {
				_, err = LoadContent(source(c.yaml), runner.NewRedactor())
			} else {
				_, err = LoadTelephony(source(c.yaml), runner.NewRedactor())
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
	cfg, err := LoadTelephony(source("tokens: {valid: '${APICONFORM_TOKEN}'}\nids: {client: '1'}\n"), r)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tokens.Valid.Value != "from-env-3f9a" {
		t.Fatalf("secret not read from the environment: %+v", cfg.Tokens.Valid)
	}
	if got := r.Redact("Bearer from-env-3f9a"); got != "Bearer [redacted:tokens.valid]" {
		t.Fatalf("redacted to %q", got)
	}
}

func TestBuiltInFixturesLoad(t *testing.T) {
	if _, err := LoadTelephony(Source{Name: "telephony.yaml", Dir: fixtures.Files, File: "telephony.yaml"}, runner.NewRedactor()); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadContent(Source{Name: "content.yaml", Dir: fixtures.Files, File: "content.yaml"}, runner.NewRedactor()); err != nil {
		t.Fatal(err)
	}
}

func TestFillRefusesUnknownPlaceholders(t *testing.T) {
	if _, err := Fill("/client/{clent}/", map[string]string{"client": "1"}); err == nil {
		t.Fatal("a misspelt placeholder was filled silently")
	}
	if got, err := Fill("/client/{client}/x", map[string]string{"client": "@me"}); err != nil || got != "/client/@me/x" {
		t.Fatalf("got %q %v", got, err)
	}
}
