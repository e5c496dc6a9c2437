package target

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"
)

// Upper bounds of what a configuration may ask for, checked at load so
// that no value can make the suite wait or allocate without end
// (docs/decisions.md, "Bounds").
const (
	MaxRetryAttempts = 20
	MaxRetryWait     = 10 * time.Minute
	MaxRate          = 10_000 // requests a second
	// MaxRequestBodyBytes bounds limits.request_body_bytes and
	// large_file_bytes: streamed, never held, but sent over the wire.
	MaxRequestBodyBytes = 1 << 30
	MaxCreated          = 1_000
	MaxRateRequests     = 100_000
	MaxAbandon          = 100
	// MaxFileBytes bounds a file the configuration names (body.file):
	// it is held in memory and sent whole.
	MaxFileBytes = 64 << 20
	// MaxConfigBytes bounds the configuration file itself.
	MaxConfigBytes = 4 << 20
)

// checkBounds refuses a count or a wait past its documented bound.
func (d *Deployment) checkBounds() []error {
	var errs []error
	if math.IsNaN(d.Rate) || math.IsInf(d.Rate, 0) || d.Rate < 0 || d.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("rate: %v requests a second: want a number from 0 (unpaced) to %d", d.Rate, MaxRate))
	}
	if d.Retry.Attempts < 0 || d.Retry.Attempts > MaxRetryAttempts {
		errs = append(errs, fmt.Errorf("retry.attempts: %d: want 0 to %d", d.Retry.Attempts, MaxRetryAttempts))
	}
	if d.Retry.MaxWait < 0 || d.Retry.MaxWait > MaxRetryWait {
		errs = append(errs, fmt.Errorf("retry.max_wait: %s: want 0 to %s", d.Retry.MaxWait, MaxRetryWait))
	}
	return errs
}

// between refuses a count outside [1, most], naming its key.
func Between(key string, v, most int64) error {
	if v <= 0 || v > most {
		return fmt.Errorf("%s: %d: want 1 to %d", key, v, most)
	}
	return nil
}

// readBounded reads a file the configuration names, refusing anything but
// a regular file of at most limit bytes: /dev/zero or a FIFO would
// otherwise fill the memory or block the load for ever. It looks before it
// opens (opening a FIFO blocks) and reads at most limit+1 bytes whatever
// the file became in between.
func readBounded(fsys fs.FS, name string, limit int64) ([]byte, error) {
	var info fs.FileInfo
	var err error
	if fsys == nil {
		info, err = os.Stat(name)
	} else {
		info, err = fs.Stat(fsys, name)
	}
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, info.Mode().Type())
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than %d", name, info.Size(), limit)
	}
	var f io.ReadCloser
	if fsys == nil {
		f, err = os.Open(name)
	} else {
		f, err = fsys.Open(name)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s holds more than %d bytes", name, limit)
	}
	return b, nil
}

// controlIn names the first control character of s, or "".
func controlIn(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return fmt.Sprintf("control character 0x%02x at byte %d", c, i)
		}
	}
	return ""
}

// checkPathValue refuses a value that, put into a path, would change
// which resource or host it names: a dot segment, a backslash (which
// some servers read as /), or a path that would name a host.
func CheckPathValue(key, p string) error {
	if strings.Contains(p, `\`) {
		return fmt.Errorf("%s: holds a backslash, which servers and proxies may read as /", key)
	}
	for _, seg := range strings.Split(strings.SplitN(p, "?", 2)[0], "/") {
		if seg == ".." || seg == "." {
			return fmt.Errorf("%s: holds the dot segment %q, which servers and proxies normalise away", key, seg)
		}
	}
	if c := controlIn(p); c != "" {
		return fmt.Errorf("%s: holds a %s", key, c)
	}
	return nil
}

// errSecond is a configuration file holding more than one YAML document.
var errSecond = errors.New("a second YAML document (after ---) is not allowed: one file configures one deployment")

// EscapeForMessage shows control characters of a configured name escaped.
func EscapeForMessage(s string) string {
	return strings.Trim(fmt.Sprintf("%q", s), `"`)
}
