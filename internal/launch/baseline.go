package launch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/runner"
)

// loadBaseline reads a baseline file: every id must be a spec of cases,
// every entry needs a reason. Expired entries are left out, and said.
func loadBaseline(path string, cases []suite.Case, now time.Time, w io.Writer) (map[string]suite.Known, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := runner.ReadFileBounded(path, runner.MaxFlagFileBytes)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var entries []suite.Known
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	ids := map[string]bool{}
	for _, c := range cases {
		ids[c.ID()] = true
	}
	known := map[string]suite.Known{}
	var errs []error
	for i, e := range entries {
		switch {
		case !ids[e.ID]:
			errs = append(errs, fmt.Errorf("--baseline %s: entry %d: %q is not a spec id (--list shows them)", path, i+1, e.ID))
		case e.Reason == "":
			errs = append(errs, fmt.Errorf("--baseline %s: entry %d (%s): reason is required", path, i+1, e.ID))
		case e.Expires != "":
			day, err := time.Parse(time.DateOnly, e.Expires)
			if err != nil {
				errs = append(errs, fmt.Errorf("--baseline %s: entry %d (%s): expires: want YYYY-MM-DD", path, i+1, e.ID))
			} else if !now.Before(day) {
				fmt.Fprintf(w, "baseline: the entry for %s expired on %s: its failure fails the run again\n", e.ID, e.Expires)
			} else {
				known[e.ID] = e
			}
		default:
			known[e.ID] = e
		}
	}
	return known, errors.Join(errs...)
}
