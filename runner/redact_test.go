package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestSharedValueGetsOneLabelWhateverTheAddOrder(t *testing.T) {
	const v = "shared-secret-value"
	want := "Bearer [redacted:tokens.a|tokens.b]"
	for _, order := range [][]string{{"tokens.a", "tokens.b"}, {"tokens.b", "tokens.a"}, {"tokens.b", "tokens.a", "tokens.b"}} {
		r := NewRedactor()
		for _, label := range order {
			r.Add(label, v)
		}
		if got := r.Redact("Bearer " + v); got != want {
			t.Errorf("Add order %v: got %q, want %q", order, got, want)
		}
	}
}

func TestRedactionIsOnePassLongestFirst(t *testing.T) {
	r := NewRedactor()
	// The second secret contains the text the first is replaced by: a
	// sequential replacement would turn it into something else.
	r.Add("x", "abcdefgh")
	r.Add("y", "[redacted:x]-tail-1234")
	r.Add("z", "abcdefgh-longer")
	// A secret that is part of every replacement text.
	r.Add("w", "redacted")
	for in, want := range map[string]string{
		"[redacted:x]-tail-1234":         "[redacted:y]",
		"abcdefgh-longer and abcdefgh":   "[redacted:z] and [redacted:x]",
		"abcdefgh[redacted:x]-tail-1234": "[redacted:x][redacted:y]",
		"nothing here":                   "nothing here",
		"Bearer abcdefgh-longer":         "Bearer [redacted:z]",
		"redacted, abcdefgh":             "[redacted:w], [redacted:x]",
		"abcdefg":                        "abcdefg",
	} {
		if got := r.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNilAndEmptyRedactorsChangeNothing(t *testing.T) {
	var r *Redactor
	if got := r.Redact("a secret"); got != "a secret" {
		t.Errorf("nil redactor changed the text: %q", got)
	}
	r = NewRedactor()
	r.Add("empty", "")
	if got := r.Redact("a secret"); got != "a secret" {
		t.Errorf("empty secret changed the text: %q", got)
	}
	var zero Redactor
	if got := zero.Redact("a secret-value"); got != "a secret-value" {
		t.Errorf("a zero Redactor changed the text: %q", got)
	}
	zero.Add("k", "secret-value")
	if got := zero.Redact("a secret-value"); got != "a [redacted:k]" {
		t.Errorf("a zero Redactor after Add: %q", got)
	}
}

func TestValidSecret(t *testing.T) {
	for _, ok := range []string{"s3cr3t-token-value", "12345678", "pass word", "pa\tss-word", "clé-secrète", "Zm9v+/==\"'\\<&>"} {
		if err := ValidSecret(ok); err != nil {
			t.Errorf("ValidSecret(%q) = %v, want nil", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"":                     "shorter than 8",
		"1234567":              "shorter than 8",
		"clé1234":              "shorter than 8",
		"token-with\nnewline":  "a newline",
		"token-with\r\nCRLF":   "a carriage return",
		"token-with\x00NUL":    "a NUL byte",
		"token-with\x1bESC":    "control character 0x1b",
		"token-with\x7fDEL":    "control character 0x7f",
		" leading-space-token": "starts or ends",
		"trailing-tab-token\t": "starts or ends",
	} {
		err := ValidSecret(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidSecret(%q) = %v, want an error saying %q", bad, err, want)
			continue
		}
		if len(bad) >= 4 && strings.Contains(err.Error(), bad[1:4]) {
			t.Errorf("the error shows part of the secret: %v", err)
		}
	}
}

// TestEscapedFormsAreRedacted: a server that echoes a secret back usually
// echoes it encoded: in a JSON string, a URL, base64 or XML text.
func TestEscapedFormsAreRedacted(t *testing.T) {
	const label = "tokens.valid"
	for _, secret := range []string{
		`Ab/c<d&e>"f'g\h é+%x=?😀`,
		"plain-token-0123456789",
	} {
		r := NewRedactor()
		r.Add(label, secret)
		jsonHTML, _ := json.Marshal(secret)
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(secret)
		var xmlText bytes.Buffer
		_ = xml.EscapeText(&xmlText, []byte(secret))
		forms := map[string]string{
			"json (encoding/json)":         strings.Trim(string(jsonHTML), `"`),
			"json without HTML escaping":   strings.Trim(plain.String(), "\"\n"),
			`json with \/`:                 strings.ReplaceAll(strings.Trim(string(jsonHTML), `"`), "/", `\/`),
			"json, non-ASCII as \\u (PHP)": phpJSON(secret),
			"url.QueryEscape":              url.QueryEscape(secret),
			"url.PathEscape":               url.PathEscape(secret),
			"base64 std":                   base64.StdEncoding.EncodeToString([]byte(secret)),
			"base64 std raw":               base64.RawStdEncoding.EncodeToString([]byte(secret)),
			"base64 url":                   base64.URLEncoding.EncodeToString([]byte(secret)),
			"base64 url raw":               base64.RawURLEncoding.EncodeToString([]byte(secret)),
			"xml.EscapeText":               xmlText.String(),
			"html.EscapeString":            html.EscapeString(secret),
			"xml named entities": strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").
				Replace(secret),
			"xml attribute, minimal": strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(secret),
		}
		for name, form := range forms {
			got := r.Redact("<" + form + ">")
			if got != "<[redacted:"+label+"]>" {
				t.Errorf("%s of %q: Redact(%q) = %q", name, secret, "<"+form+">", got)
			}
		}
		// Inside a longer base64 text (Basic credentials), at every alignment.
		for _, user := range []string{"", "u", "us", "use"} {
			basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + secret + ":x"))
			got := r.Redact("Basic " + basic)
			if !strings.Contains(got, "[redacted:"+label+"]") || len(got) > len(basic)-len(secret)+len("Basic [redacted:tokens.valid]")+4 {
				t.Errorf("base64 of %q inside a longer text: %q -> %q", secret, basic, got)
			}
		}
	}
}

// phpJSON is json_encode's default: "/" as "\/", non-ASCII as \uXXXX.
func phpJSON(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '"' || c == '\\' || c == '/':
			b.WriteString(`\` + string(c))
		case c >= 0x80:
			for _, u := range utf16.Encode([]rune{c}) {
				fmt.Fprintf(&b, `\u%04x`, u)
			}
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func TestVariantsAreDistinctAndDifferFromTheValue(t *testing.T) {
	v := `Ab/c<d&e>"f'g\h é+%x=?`
	seen := map[string]bool{}
	for i, form := range variants(v) {
		if seen[form] || (i > 0 && form == v) || form == "" {
			t.Errorf("variant %d %q repeated, empty or the value itself", i, form)
		}
		seen[form] = true
	}
	// A value no escaping changes has only base64 forms besides itself.
	for _, form := range variants("abcdefghij")[1:] {
		if strings.Trim(form, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
			t.Errorf("variant %q of a plain value is not base64", form)
		}
	}
}

// BenchmarkRedact: a 2 KiB transcript through a redactor holding 8 secrets
// and their encoded forms, three of them present.
func BenchmarkRedact(b *testing.B) {
	r := NewRedactor()
	var secrets []string
	for i := range 8 {
		s := fmt.Sprintf("tok/%d<&>\"'-%x-secret-value", i, i*0x9e3779b9)
		secrets = append(secrets, s)
		r.Add(fmt.Sprintf("tokens.t%d", i), s)
	}
	head := "> GET http://127.0.0.1:8081/v2/items?key=" + url.QueryEscape(secrets[0]) + "&page=2\n" +
		"> Authorization: Bearer " + secrets[1] + "\n> Accept: application/json\n" +
		"< HTTP/1.1 401 Unauthorized (after 1.2ms)\n< Content-Type: application/json\n<\n" +
		`< {"error":"invalid_token","token":"` + strings.Trim(fmt.Sprintf("%q", secrets[2]), `"`) + `","items":[`
	var t strings.Builder
	t.WriteString(head)
	for i := 0; t.Len() < 2048-2; i++ {
		fmt.Fprintf(&t, `{"id":%d,"name":"Item number %d","tags":["alpha","beta"]},`, i, i)
	}
	t.WriteString("]}")
	text := t.String()[:2048]
	if out := r.Redact(text); strings.Count(out, "[redacted:") != 3 {
		b.Fatalf("want 3 secrets redacted:\n%s", out)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(text)
	}
}

// Split cuts a text as Redact does; a secret held verbatim names its
// labels, an encoded form of one names none, and no piece holds a secret.
func TestSplit(t *testing.T) {
	const v = `sh'a"r$e\d-value`
	r := NewRedactor()
	r.Add("credentials.valid", v)
	r.Add("credentials.blocked_user", v)
	r.Add("credentials.other", "other-secret-value")
	in := "a=" + v + "&b=" + url.QueryEscape(v) + "&c=other-secret-value"
	pieces := r.Split(in)
	var joined strings.Builder
	for _, p := range pieces {
		joined.WriteString(p.Text)
		if strings.Contains(p.Text, "a\"r") || strings.Contains(p.Text, "secret-value") {
			t.Errorf("a piece shows a secret: %+v", p)
		}
	}
	if joined.String() != r.Redact(in) {
		t.Errorf("the pieces join to %q, want Redact's %q", joined.String(), r.Redact(in))
	}
	shared := "[redacted:credentials.blocked_user|credentials.valid]"
	want := []Piece{
		{Text: "a="},
		{Text: shared, Secret: true, Keys: []string{"credentials.blocked_user", "credentials.valid"}},
		{Text: "&b="},
		{Text: shared, Secret: true},
		{Text: "&c="},
		{Text: "[redacted:credentials.other]", Secret: true, Keys: []string{"credentials.other"}},
	}
	if fmt.Sprintf("%+v", pieces) != fmt.Sprintf("%+v", want) {
		t.Errorf("Split:\n got %+v\nwant %+v", pieces, want)
	}
	for _, s := range []string{"", "no secret here"} {
		if got := r.Split(s); len(got) != 1 || got[0].Text != s || got[0].Secret || got[0].Keys != nil {
			t.Errorf("Split(%q) = %+v", s, got)
		}
	}
	var none *Redactor
	if got := none.Split(v); len(got) != 1 || got[0].Text != v || got[0].Secret {
		t.Errorf("a nil redactor's Split = %+v", got)
	}
}
