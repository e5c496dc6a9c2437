package launch

import (
	"fmt"
	"os"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/har"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/runner"
)

// recording is a run's --record (every exchange written as HAR, each
// process to its own part, merged by process 1) or --replay (answers
// from a HAR instead of a target).
type recording struct {
	byOrigin map[string]suite.Case // the cases, by the origin their requests carry
	rec      *har.Recorder
	replay   *har.Replay
	replayed *har.HAR
	seed     int64
}

// tag names the spec that sent a request, and its row.
func (r *recording) tag(origin string) (string, string) {
	c, ok := r.byOrigin[origin]
	if !ok {
		return "", ""
	}
	return c.ID(), c.Row.ID
}

// record is the client's Recorder hook.
func (r *recording) record(ex *runner.Exchange) {
	if r.rec != nil {
		r.rec.Record(ex)
	}
}

// openReplay reads the --replay file of api's suite and returns the
// target it recorded.
func (r *recording) openReplay(api, file string, redactor *runner.Redactor) (string, error) {
	h, err := har.Read(file)
	if err != nil {
		return "", err
	}
	// A recording of another API's suite matches none of this one's
	// requests: say so, rather than call every row unreachable.
	if run := h.Log.Run; run != nil && run.API != "" && run.API != api {
		return "", fmt.Errorf("%s is a recording of the %s API, not of %s: replay it with the %s suite", file, run.API, api, run.API)
	}
	r.replayed, r.replay = h, har.NewReplay(h, redactor, r.tag)
	_, target, _ := h.About()
	if target == "" {
		target = "http://recording.invalid"
	}
	return target, nil
}

// start indexes the cases, and, for --record, opens this process's part
// of the recording (not on a dry run, which sends nothing).
func (r *recording) start(o *Options, cases []suite.Case, redactor *runner.Redactor) error {
	r.byOrigin = map[string]suite.Case{}
	for _, c := range cases {
		r.byOrigin["«"+c.Name()+"»"] = c
	}
	cfg, _ := ginkgo.GinkgoConfiguration()
	r.seed = cfg.RandomSeed
	if o.Record == "" || cfg.DryRun {
		return nil
	}
	rec, err := har.NewRecorder(o.Record, r.seed, ginkgo.GinkgoParallelProcess(), redactor, r.tag)
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	r.rec = rec
	return nil
}

// conclude marks a replayed run's record with the recording it judged,
// and writes a recorded run's HAR from every process's part, each entry
// tagged with its spec's outcome; it returns the line naming the
// recording, for the end of the output.
func (r *recording) conclude(run *record.Run, o *Options, redactor *runner.Redactor) string {
	if r.replayed != nil {
		version, target, at := r.replayed.About()
		run.Replay = &record.Replay{File: o.Replay, Recorded: at, Version: version, Target: target}
	}
	if r.rec == nil {
		return ""
	}
	if err := r.rec.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "--record: writing this process's exchanges: %v\n", err)
	}
	outcomes := map[string]record.Spec{}
	for _, s := range run.Specs {
		outcomes[s.ID] = s
	}
	info := har.Run{API: run.API, Version: run.Version, Catalog: run.Catalog, Target: run.Target, Config: run.Config,
		Reading: run.Reading, Started: run.Started, Finished: run.Finished}
	n, err := har.Merge(o.Record, r.seed, info, func(id string) (string, string) {
		s := outcomes[id]
		return string(s.Outcome), string(s.Reason)
	}, redactor.Redact)
	if err != nil {
		fmt.Fprintf(os.Stderr, "--record: %v\n", err)
		if run.Stopped == "" {
			run.Stopped = redactor.Clean("the recording could not be written (--record): " + err.Error())
		}
		return ""
	}
	run.Recording = o.Record
	size := ""
	if info, err := os.Stat(o.Record); err == nil {
		size = fmt.Sprintf(", %d bytes", info.Size())
	}
	return fmt.Sprintf("recording: %s (HAR 1.2, %d exchanges%s)", o.Record, n, size)
}

// discard removes this process's part of a recording the run will not
// write (it cannot start).
func (r *recording) discard(o *Options) {
	if r.rec != nil {
		_ = r.rec.Close()
		har.Discard(o.Record, r.seed)
	}
}
