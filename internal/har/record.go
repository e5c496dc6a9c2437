package har

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/runner"
)

// Recorder appends every exchange of one process to its part file, one
// JSON entry a line, as it completes: under ginkgo -p each process has
// its own, and process 1 merges them (Merge) once every process is done.
type Recorder struct {
	mu       sync.Mutex
	f        *os.File
	w        *bufio.Writer
	err      error
	redactor *runner.Redactor
	tag      Tag
	process  int
}

// PartPath is where process writes its entries of the recording file:
// beside it, named for the run (seed: the same in every process of one
// run, Ginkgo's random seed).
func PartPath(file string, seed int64, process int) string {
	return fmt.Sprintf("%s.%d.part%d", filepath.Join(filepath.Dir(file), "."+filepath.Base(file)), seed, process)
}

func partGlob(file string, seed int64) string {
	return fmt.Sprintf("%s.%d.part*", filepath.Join(filepath.Dir(file), "."+filepath.Base(file)), seed)
}

// NewRecorder starts process's part of the recording file.
func NewRecorder(file string, seed int64, process int, r *runner.Redactor, tag Tag) (*Recorder, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(PartPath(file, seed, process), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &Recorder{f: f, w: bufio.NewWriter(f), redactor: r, tag: tag, process: process}, nil
}

// Record appends ex; it is safe to call from many goroutines. The entry
// reaches the file at once, so the process that merges sees it.
func (r *Recorder) Record(ex *runner.Exchange) {
	e := FromExchange(ex, r.redactor, r.tag)
	e.Process = r.process
	line, err := json.Marshal(e)
	if err == nil {
		line = []byte(r.redactor.Redact(string(line)))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	if err == nil {
		_, err = r.w.Write(append(line, '\n'))
	}
	if err == nil {
		err = r.w.Flush()
	}
	r.err = err
}

// Close ends the part file, returning the first error writing it met.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.w.Flush(); r.err == nil {
		r.err = err
	}
	if err := r.f.Close(); r.err == nil && !errors.Is(err, os.ErrClosed) {
		r.err = err
	}
	return r.err
}

// Outcome is a spec's outcome and reason, by spec id, for the entries.
type Outcome func(spec string) (outcome, reason string)

// Merge writes the recording file from every part file of the run, the
// entries in order of time, each tagged with its spec's outcome, and
// removes the parts. The file is written atomically: a reader never finds
// half of one.
func Merge(file string, seed int64, run Run, outcome Outcome, redact func(string) string) (int, error) {
	parts, err := filepath.Glob(partGlob(file, seed))
	if err != nil {
		return 0, err
	}
	sort.Strings(parts)
	var entries []Entry
	for _, p := range parts {
		got, err := readPart(p)
		if err != nil {
			return 0, fmt.Errorf("recording part %s: %w", p, err)
		}
		entries = append(entries, got...)
	}
	for i := range entries {
		if outcome != nil && entries[i].Spec != "" {
			entries[i].Outcome, entries[i].Reason = outcome(entries[i].Spec)
		}
	}
	slices.SortStableFunc(entries, func(a, b Entry) int { return cmp.Compare(started(a), started(b)) })
	h := HAR{Log: Log{Version: "1.2", Creator: Creator{Name: "apiconform", Version: run.Version}, Entries: entries, Run: &run,
		Comment: fmt.Sprintf("apiconform %s run of the %s suite against %s; _spec, _row, _outcome: the spec that sent each request and its outcome", run.Version, run.API, run.Target)}}
	if h.Log.Entries == nil {
		h.Log.Entries = []Entry{}
	}
	if err := Write(file, redact, &h); err != nil {
		return 0, err
	}
	for _, p := range parts {
		_ = os.Remove(p)
	}
	return len(entries), nil
}

// Discard removes the run's part files, for a run that writes no
// recording after all.
func Discard(file string, seed int64) {
	parts, _ := filepath.Glob(partGlob(file, seed))
	for _, p := range parts {
		_ = os.Remove(p)
	}
}

func started(e Entry) int64 {
	t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
	if err != nil {
		return 0
	}
	return t.UnixNano()
}

func readPart(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Entry
	dec := json.NewDecoder(bufio.NewReader(f))
	for dec.More() {
		var e Entry
		if err := dec.Decode(&e); err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Write writes h to path atomically (record.WriteFile), its text passed through redact
// (which must leave it JSON).
func Write(path string, redact func(string) string, h *HAR) error {
	raw, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("recording %s: %w", path, err)
	}
	if redact != nil {
		raw = []byte(redact(string(raw)))
	}
	if !json.Valid(raw) {
		return fmt.Errorf("recording %s: redaction broke the JSON", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("recording %s: %w", path, err)
	}
	if err := record.WriteFile(path, append(raw, '\n')); err != nil {
		return fmt.Errorf("recording %s: %w", path, err)
	}
	return nil
}
