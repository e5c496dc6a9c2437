// Package target reads the configuration that describes one deployment of an
// API: its credentials, the ids of things that exist (and do not), paths,
// request bodies and limits. Everything a condition needs on a particular
// deployment is here; a condition whose keys are missing is skipped, naming
// them.
package target

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Secret is a credential. In a file it is written either as the value or as
// ${NAME}, read from the environment variable NAME, so the file can be
// committed without the secret.
type Secret struct {
	Value string
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// UnmarshalYAML reads a secret, resolving ${NAME} from the environment.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a secret is a string", n.Line)
	}
	if m := envRef.FindStringSubmatch(n.Value); m != nil {
		v, ok := os.LookupEnv(m[1])
		if !ok || v == "" {
			return fmt.Errorf("line %d: environment variable %s is not set", n.Line, m[1])
		}
		*s = Secret{Value: v}
		return nil
	}
	*s = Secret{Value: n.Value}
	return nil
}

// Set reports whether the secret has a value.
func (s Secret) Set() bool { return s.Value != "" }

// Source is a configuration file and the folder its relative paths start
// from; Raw, when set, is the file's content.
type Source struct {
	Name string // as the user gave it, for messages
	Dir  fs.FS
	File string
	Raw  []byte
	// Folder is Dir's absolute path on disk, for messages; "" when Dir is
	// not on disk (the built-in fixtures).
	Folder string
}

// FileSource is a configuration file on disk.
func FileSource(p string) Source {
	folder, err := filepath.Abs(filepath.Dir(p))
	if err != nil {
		folder = filepath.Dir(p)
	}
	return Source{Name: p, Dir: os.DirFS(filepath.Dir(p)), File: filepath.Base(p), Folder: folder}
}

// decode reads a source strictly into v: unknown keys, duplicate keys and
// wrong types are errors that name the key's line.
func decode(src Source, v any) error {
	raw := src.Raw
	if raw == nil {
		var err error
		if raw, err = readBounded(src.Dir, src.File, MaxConfigBytes); err != nil {
			return fmt.Errorf("config %s: %w (start from a copy of fixtures/<api>.yaml; --print-defaults shows every key)", src.Name, err)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %s", src.Name, nameKeys(raw, err))
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", src.Name, errSecond)
	}
	return nil
}

var (
	errorLine    = regexp.MustCompile(`line (\d+): `)
	goType       = regexp.MustCompile(` in type [\w.]+`)
	unknownField = regexp.MustCompile(`field \S+ not found`)
	quotedValue  = regexp.MustCompile("(?s)(cannot unmarshal !!\\w+) .*? into")
)

// secretKey tells whether a configuration key may hold a secret.
func secretKey(key string) bool {
	return key == "credentials" || key == "auth" || strings.HasPrefix(key, "credentials.") || strings.HasPrefix(key, "auth.")
}

// nameKeys rewrites the YAML decoder's messages, which give only a line,
// to name the key at that line too ("limits.max_created (line 33): …"),
// and drops the Go type names they carry.
func nameKeys(raw []byte, err error) string {
	var root yaml.Node
	_ = yaml.Unmarshal(raw, &root)
	msg := goType.ReplaceAllString(err.Error(), "")
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "yaml: unmarshal errors:\n"))
	// One entry an error, each starting "line N: ": a quoted value may
	// span lines of its own.
	starts := errorLine.FindAllStringIndex(msg, -1)
	if len(starts) == 0 {
		return msg
	}
	out := []string{msg[:starts[0][0]]}
	for i, at := range starts {
		end := len(msg)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		out = append(out, nameKey(&root, msg[at[0]:end]))
	}
	return strings.Join(out, "")
}

// nameKey rewrites one decoder error ("line N: …") to name its key, and
// never shows a value that may be a secret.
func nameKey(root *yaml.Node, entry string) string {
	line, _ := strconv.Atoi(errorLine.FindStringSubmatch(entry)[1])
	// Several keys may share a line (flow style: retry: {attempts: 3,
	// max_wait: 11}): the message's own key or value says which.
	var match func(key, value *yaml.Node) bool
	if m := unknownName.FindStringSubmatch(entry); m != nil {
		match = func(key, _ *yaml.Node) bool { return key.Value == m[1] }
	} else if m := badValue.FindStringSubmatch(entry); m != nil {
		want, cut := strings.CutSuffix(m[1], "...")
		match = func(_, value *yaml.Node) bool {
			return value.Kind == yaml.ScalarNode && (value.Value == want || cut && strings.HasPrefix(value.Value, want))
		}
	}
	key := ""
	if match != nil {
		key = keyMatching(root, line, match)
	}
	if key == "" {
		key = keyAt(root, line)
	}
	// A value under credentials or auth may be a secret: the decoder's
	// message quotes it, so the quote goes, also when the line holds such
	// a key beside another or the value was to become a secret.
	if secretKey(key) || key == "" || secretOnLine(root, line) || strings.Contains(entry, "target.Secret") || strings.Contains(entry, "target.Auth") {
		entry = quotedValue.ReplaceAllString(entry, "$1 (value not shown) into")
	}
	entry = unknownField.ReplaceAllString(entry, "unknown key (the defaults list every key: --print-defaults shows them)")
	entry = strings.ReplaceAll(entry, "into time.Duration", "into a duration (write it like 10s or 1m30s)")
	if key != "" {
		entry = errorLine.ReplaceAllString(entry, fmt.Sprintf("%s (line %d): ", key, line))
	}
	return entry
}

var (
	unknownName = regexp.MustCompile(`field (\S+) not found`)
	badValue    = regexp.MustCompile("(?s)cannot unmarshal !!\\w+ `([^`]*)`")
)

// onLine is a key on a line of the file: its dotted path and its nodes.
type onLine struct {
	path       string
	key, value *yaml.Node
}

// keysOn lists the keys on line, each after the keys nested in its value
// (the deepest first).
func keysOn(n *yaml.Node, line int, path string) []onLine {
	var out []onLine
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, keysOn(c, line, path)...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			p := key.Value
			if path != "" {
				p = path + "." + key.Value
			}
			out = append(out, keysOn(value, line, p)...)
			if key.Line == line {
				out = append(out, onLine{p, key, value})
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, keysOn(c, line, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

// keyMatching is the dotted path of the key on line whose key and value
// nodes match, or "".
func keyMatching(root *yaml.Node, line int, match func(key, value *yaml.Node) bool) string {
	for _, k := range keysOn(root, line, "") {
		if match(k.key, k.value) {
			return k.path
		}
	}
	return ""
}

// keyAt is the dotted path of the deepest key on line, or "".
func keyAt(root *yaml.Node, line int) string {
	return keyMatching(root, line, func(_, _ *yaml.Node) bool { return true })
}

// secretOnLine tells whether a key on line may hold a secret.
func secretOnLine(root *yaml.Node, line int) bool {
	return slices.ContainsFunc(keysOn(root, line, ""), func(k onLine) bool { return secretKey(k.path) })
}

// Fill replaces each {name} in template with vars[name]; an unknown
// placeholder is an error, so a typo cannot send a literal "{clent}".
func Fill(template string, vars map[string]string) (string, error) {
	var errs []error
	out := placeholder.ReplaceAllStringFunc(template, func(m string) string {
		v, ok := vars[m[1:len(m)-1]]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown placeholder %s in %q", m, template))
			return m
		}
		return v
	})
	return out, errors.Join(errs...)
}

var placeholder = regexp.MustCompile(`\{[a-z][a-z0-9_]*\}`)

// checkPath refuses a configured path that would leave the target.
func checkPath(key, p string) error {
	if p == "" {
		return fmt.Errorf("%s: required", key)
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "://") {
		return fmt.Errorf("%s: %q must be a path starting with a single /, relative to the target", key, p)
	}
	return nil
}
