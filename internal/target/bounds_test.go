package target_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confsuite/apiconform/runner"
)

// Configuration that cannot work, or would make the suite wait or
// allocate without end, stops the load, naming the key, at once.
func TestConfigurationPastItsBoundsStopsAtLoad(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, yaml, want string
		content          bool
	}{
		{"/dev/zero as a body file", "credentials: {valid: x2345678}\nvars: {upload_file: /dev/zero}\n", "requests.upload_large_file.body.file", false},
		{"a FIFO as a body file", "credentials: {valid: x2345678}\nvars: {upload_file: " + fifo + "}\n", "not a regular file", false},
		{"a folder as a body file", "credentials: {valid: x2345678}\nvars: {upload_file: " + dir + "}\n", "not a regular file", false},
		{"max_rate_requests of 4e9", "credentials: {valid: x2345678}\nlimits: {max_rate_requests: 4000000000}\n", "limits.max_rate_requests", false},
		{"max_rate_requests of maxint64", "credentials: {valid: x2345678}\nlimits: {max_rate_requests: 9223372036854775807}\n", "limits.max_rate_requests", false},
		{"max_created too many", "credentials: {valid: x2345678}\nlimits: {max_created: 1000001}\n", "limits.max_created", false},
		{"request body of a terabyte", "credentials: {valid: x2345678}\nlimits: {request_body_bytes: 1000000000000}\n", "limits.request_body_bytes", false},
		{"content max_rate_requests", "credentials: {valid: x2345678}\nlimits: {max_rate_requests: 4000000000}\n", "limits.max_rate_requests", true},
		{"content abandon", "credentials: {valid: x2345678}\nabandon: 4000000000\n", "abandon", true},
		{"an existing client that climbs out of its path", "credentials: {valid: x2345678}\nexisting: {limit_client: '7/../8'}\n", "existing.limit_client", false},
		{"an existing client of two segments", "credentials: {valid: x2345678}\nexisting: {full_client: '7/8'}\n", "existing.full_client", false},
		{"retry of a billion", "credentials: {valid: x2345678}\nretry: {attempts: 1000000000, max_wait: 100000h}\n", "retry.attempts", false},
		{"retry of 100000h", "credentials: {valid: x2345678}\nretry: {attempts: 1, max_wait: 100000h}\n", "retry.max_wait", false},
		{"rate NaN", "credentials: {valid: x2345678}\nrate: .nan\n", "rate:", false},
		{"rate infinite", "credentials: {valid: x2345678}\nrate: .inf\n", "rate:", false},
		{"rate negative", "credentials: {valid: x2345678}\nrate: -1\n", "rate:", false},
		{"a second document", "credentials: {valid: x2345678}\n---\ncredentials: {valid: y2345678}\n", "second YAML document", false},
		{"CRLF in auth.value", "credentials: {valid: x2345678}\nauth: {value: \"Bearer {secret}\\r\\nX-Evil: 1\"}\n", "auth.value", false},
		{"CRLF in a header value", "credentials: {valid: x2345678}\nrequests: {blocked_user: {headers: {X-A: \"a\\r\\nX-Evil: 1\"}}}\n", "requests.blocked_user.headers.X-A", false},
		{"control character in a header name", "credentials: {valid: x2345678}\nrequests: {blocked_user: {headers: {\"X-\\x01\": a}}}\n", "requests.blocked_user.headers", false},
		{"a var that makes a path name a host", "credentials: {valid: x2345678}\nbase_path: ''\nvars: {client: '/evil.invalid'}\nrequests: {blocked_user: {path: '/{client}/'}}\n", "vars.client", false},
		{"a var with a dot segment", "credentials: {valid: x2345678}\nvars: {client: '..'}\n", "vars.client", false},
		{"a var with a backslash", "credentials: {valid: x2345678}\nvars: {client: 'a\\\\b'}\n", "vars.client", false},
		{"a var with CRLF in a header", "credentials: {valid: x2345678}\nvars: {note: \"a\\r\\nX-Evil: 1\"}\nrequests: {blocked_user: {headers: {X-Note: \"{note}\"}}}\n", "vars.note (filling requests.blocked_user.headers.X-Note)", false},
		{"a path with ..", "credentials: {valid: x2345678}\nrequests: {blocked_user: {path: '/client/../admin/'}}\n", "requests.blocked_user.path", false},
		{"a path with a backslash", "credentials: {valid: x2345678}\nrequests: {blocked_user: {path: '/client\\\\x/'}}\n", "requests.blocked_user.path", false},
		{"base_path with ..", "credentials: {valid: x2345678}\nbase_path: /api/../x\n", "base_path", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			var err error
			if c.content {
				_, err = loadContent(source(c.yaml), runner.NewRedactor())
			} else {
				_, err = loadTelephony(source(c.yaml), runner.NewRedactor())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error naming %q, got %v", c.want, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("the load took %s", d)
			}
		})
	}
}

// A deployment served at the root: base_path "/" adds nothing to a path.
func TestBasePathAtTheRoot(t *testing.T) {
	cfg, err := loadTelephony(source("credentials: {valid: x2345678}\nbase_path: /\n"), runner.NewRedactor())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BasePath != "" {
		t.Fatalf("base_path / reads %q, want it to add nothing", cfg.BasePath)
	}
}

// A YAML type error under credentials or auth never quotes the value: it
// may be the secret.
func TestTypeErrorsDoNotQuoteSecrets(t *testing.T) {
	for _, yaml := range []string{
		"credentials: {valid: x2345678, blocked_user: [\"Vx'Q\\\"w-secret-123\"]}\n",
		"credentials: \"Vx'Q-secret-123\"\n",
		"auth: {value: [\"Vx'Q-secret-123\"]}\n",
		"auth: \"Vx'Q-secret-123\"\n",
		// A key beside the secret on its line whose value starts alike.
		"{id_field: Vx-secret-123_id, credentials: Vx-secret-123}\n",
		// A secret over several lines.
		"credentials: |\n  Vx\n  Q-secret-123\n",
	} {
		_, err := loadTelephony(source(yaml), runner.NewRedactor())
		if err == nil {
			t.Fatalf("%q loaded", yaml)
		}
		if strings.Contains(err.Error(), "Vx") || strings.Contains(err.Error(), "secret-123") {
			t.Errorf("the error quotes the value: %v", err)
		}
	}
}
