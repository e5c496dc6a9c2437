package suite

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Spec is what a probe works with while its spec runs: the row it
// provokes, the configured item and variant it is split by, and the
// requests it sends.
type Spec struct {
	*Env
	Row     catalog.Row
	Item    Item
	Variant Variant
	tracker *tracker
	name    string
	id      string
	known   *Known // the spec's entry in the baseline, if any
	// mu guards what the spec's body and its cleanup (which an interrupt
	// starts at once) both touch: its verdict and the exchanges not yet
	// in its report.
	mu      sync.Mutex
	verdict *record.Verdict
	pending []record.Exchange // exchanges not yet in the report
	seen    []record.Exchange // every exchange of the spec
	done    bool              // its cleanup has ended
	guess   string            // why the spec's request is the suite's guess (Case.Guess)
	made    []string          // values made up for this spec's requests (Env.fresh)
	steps   []string          // the steps its probe declares (Probe.Step, Probe.Uses)
	// testsRateLimit means this spec provokes the rate limit (it sent a
	// Burst): a throttled answer is what it wants, so none is waited out.
	testsRateLimit bool
}

// Sent is a request as a step built it: the step, its configuration key,
// and the values it was filled with.
type Sent struct {
	Step target.Step
	Key  string
	Vars map[string]string
	runner.Request
	// form is where a multipart body's file content starts and how long its
	// closing boundary is, so the content can be padded in place.
	form *formBounds
}

type formBounds struct{ head, tail int }

// Request builds the named step for the spec's row; vars are pairs of
// runtime placeholder values. A credential or var the step needs that is
// not configured skips the spec, naming the key.
func (s *Spec) Request(name string, vars ...string) Sent {
	ginkgo.GinkgoHelper()
	// What a probe sends is listed (docs/specs.md, --list) from what it
	// declares: a step it sends undeclared is the suite's mistake.
	if !slices.Contains(s.steps, name) {
		s.Defect(fmt.Sprintf("the probe sends step %q, which it does not declare (Probe.Step or requests.%s in Probe.Uses)", name, name))
	}
	step, key, err := s.Deployment.Step(s.Row.ID, name)
	if err != nil {
		s.Defect(err.Error())
	}
	return s.Build(step, key, vars...)
}

// Fresh is one set of fresh values ({name}, {email} and any the
// deployment adds), in the deployment's format (configuration fresh).
func (s *Spec) Fresh() map[string]string {
	if s.fresh == nil {
		return map[string]string{}
	}
	return s.fresh()
}

// Build fills a step's templates and frames its body.
func (s *Spec) Build(step target.Step, key string, pairs ...string) Sent {
	ginkgo.GinkgoHelper()
	vars := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		vars[pairs[i]] = pairs[i+1]
	}
	var fresh map[string]string
	var made []string // the values made up for this run
	for _, name := range step.Placeholders() {
		if _, runtime := vars[name]; runtime {
			continue
		}
		if s.fresh != nil && fresh == nil {
			fresh = s.fresh()
		}
		if v, ok := fresh[name]; ok {
			vars[name] = v
			continue
		}
		v, set := s.Deployment.Var(name)
		s.Need("vars."+name, set)
		vars[name] = v
	}
	if s.fresh != nil {
		// The placeholders made fresh for every run, however they were
		// filled (a probe may pass its own fresh values).
		for name := range s.fresh() {
			if v := vars[name]; v != "" {
				made = append(made, v)
			}
		}
	}
	fill := func(where, t string) string {
		ginkgo.GinkgoHelper()
		out, err := target.Fill(t, vars)
		if err != nil {
			s.misconfigured(key+"."+where, err)
		}
		return out
	}
	pathVars := maps.Clone(vars)
	if id, ok := vars["id"]; ok {
		pathVars["id"] = url.PathEscape(id)
	}
	path, err := target.Fill(step.Path, pathVars)
	if err != nil {
		s.misconfigured(key+".path", err)
	}
	s.mu.Lock()
	s.made = append(s.made, made...) // a later request may repeat them
	made = slices.Clone(s.made)
	s.mu.Unlock()
	req := runner.Request{Method: step.Method, Path: s.Deployment.BasePath + path, Header: http.Header{}, Query: url.Values{}, Origin: "«" + s.name + "»", Fresh: made}
	for k, v := range step.Query {
		req.Query.Set(k, fill("query."+k, v))
	}
	req.RawQuery = step.RawQuery
	for k, v := range step.Headers {
		req.Header.Set(k, fill("headers."+k, v))
	}
	if role := cmp.Or(step.As, "valid"); role != "none" {
		secret := s.Deployment.Credentials[role]
		s.Need("credentials."+role, secret.Set())
		req.Header.Set(s.Deployment.Auth.Header, strings.ReplaceAll(s.Deployment.Auth.Value, "{secret}", secret.Value))
		req.Role = role
	}
	sent := Sent{Step: step, Key: key, Vars: vars, Request: req}
	if b := step.Body; b != nil {
		s.frame(&sent, b)
	}
	if s.Variant.Apply != nil {
		s.Variant.Apply(&sent.Request)
	}
	return sent
}

// frame sets the request body from a configured body: JSON, text or a
// file, as it is or as the file part of a multipart form.
func (s *Spec) frame(sent *Sent, b *target.Body) {
	ginkgo.GinkgoHelper()
	req, key, vars := &sent.Request, sent.Key, sent.Vars
	var content []byte
	contentType := b.ContentType
	switch {
	case b.JSON != "":
		escaped := map[string]string{}
		for k, v := range vars {
			raw, _ := json.Marshal(v)
			escaped[k] = string(raw[1 : len(raw)-1])
		}
		out, err := target.Fill(b.JSON, escaped)
		if err != nil {
			s.misconfigured(key+".body.json", err)
		}
		content = []byte(out)
		if contentType == "" {
			contentType = "application/json"
		}
	case b.Text != "":
		out, err := target.Fill(b.Text, vars)
		if err != nil {
			s.misconfigured(key+".body.text", err)
		}
		content = []byte(out)
	case b.File != "":
		name, err := target.Fill(b.File, vars)
		if err == nil {
			content, err = s.Deployment.ReadFile(name)
		}
		if err != nil {
			s.misconfigured(key+".body.file", err)
		}
	}
	if m := b.Multipart; m != nil {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		filename, _ := target.Fill(m.Filename, vars)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, m.Field, filename))
		partType := m.ContentType
		if partType == "" {
			partType = contentType
		}
		if partType != "" {
			h.Set("Content-Type", partType)
		}
		if _, err := w.CreatePart(h); err != nil {
			s.misconfigured(key+".body.multipart", err)
		}
		head := slices.Clone(buf.Bytes())
		buf.Reset()
		_ = w.Close()
		req.Body = slices.Concat(head, content, buf.Bytes())
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Fresh = append(req.Fresh, w.Boundary()) // random: a replay takes any in its place
		sent.form = &formBounds{head: len(head), tail: buf.Len()}
		return
	}
	req.Body = content
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
}

// misconfigured ends the spec as not checked: a configured template could
// not be filled.
func (s *Spec) misconfigured(key string, err error) {
	ginkgo.GinkgoHelper()
	s.NotChecked(record.Verdict{Reason: record.Configuration, Key: key, Message: fmt.Sprintf("configuration %s: %v", key, err)})
}

// Stream turns a built request's body into a streamed one of size bytes:
// the content, then filler, with a multipart form's closing boundary kept
// at the end. The suite never holds the padded body in memory.
func (sent *Sent) Stream(size int64, fill byte) {
	body := sent.Body
	if f := sent.form; f != nil {
		cut := len(body) - f.tail
		sent.Request.Stream = &runner.Stream{Prefix: body[:cut], Fill: fill, Size: size + int64(f.head+f.tail), Suffix: body[cut:]}
	} else {
		sent.Request.Stream = &runner.Stream{Prefix: body, Fill: fill, Size: size}
	}
	sent.Body = nil
}

// Send sends a built request, waiting out a throttled answer unless the
// spec tests the rate limit, and tracks what a 2xx answer created.
func (s *Spec) Send(sent Sent) *runner.Exchange {
	ginkgo.GinkgoHelper()
	return s.SendAll([]Sent{sent})[0]
}

// InFlight is the most requests one spec has on the wire at once: the
// batches of SendAll callers, the removals after a spec, the rate-limit
// burst, the abandoned requests. The runner keeps as many idle
// connections to the target (runner.MaxInFlight).
const InFlight = runner.MaxInFlight

// SendAll sends requests that have no order among them, InFlight at a
// time, each as Send would, and returns their exchanges in the order
// given. Only the network work runs concurrently: what a 2xx answer
// created is tracked first, every one of them, and then each exchange is
// reported and judged in the order given, on the spec's goroutine (Ginkgo's
// Fail and report entries belong there).
func (s *Spec) SendAll(sents []Sent) []*runner.Exchange {
	ginkgo.GinkgoHelper()
	tries := make([][]try, len(sents))
	tickets := make([]int, len(sents))
	for i := range sents {
		if kind := sents[i].Step.Creates; kind != "" {
			// Known before it is sent, so an interrupt that abandons this
			// body still finds it, waits for it and removes what it made.
			sents[i].Request.Create = true
			tickets[i] = s.tracker.begin(kind, sents[i].Request, s.Client.Bound(sents[i].Request))
			if tickets[i] == 0 {
				// The batch is not sent: its creates begun so far never will be.
				s.tracker.cancel(tickets[:i]...)
				s.NotChecked(record.Verdict{Reason: record.Interrupted, Message: "the spec was ending before its create was sent"})
			}
		}
	}
	InParallel(len(sents), func(i int) {
		tries[i] = s.attempts(sents[i].Request)
		if tickets[i] != 0 {
			ex := tries[i][len(tries[i])-1].ex
			s.tracker.settle(tickets[i], sents[i].Step.Creates, s.createdBy(sents[i].Step, ex), ex, sents[i].Vars)
		}
	})
	out := make([]*runner.Exchange, len(sents))
	for i := range sents {
		out[i] = tries[i][len(tries[i])-1].ex
	}
	bad := s.refuse(s.tracker.claimRefused())
	for i := range sents {
		s.reportTries(tries[i], "exchange")
		s.observe(out[i])
	}
	if len(bad) > 0 {
		s.NotChecked(record.Verdict{Reason: record.Precondition, Step: sents[0].Key, Message: strings.Join(bad, "; ")})
	}
	return out
}

// InParallel calls do(0) … do(n-1), InFlight at a time, and returns when
// all have returned. do must not call Ginkgo (no Fail, no report entry):
// it keeps its results for the caller to judge afterwards.
func InParallel(n int, do func(i int)) {
	if n == 1 {
		do(0)
		return
	}
	slots := make(chan struct{}, InFlight)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			do(i)
		})
	}
	wg.Wait()
}

// observe applies the rules that hold for every answer the spec gets.
func (s *Spec) observe(ex *runner.Exchange) {
	ginkgo.GinkgoHelper()
	s.unanswered(ex)
	if s.Observe != nil {
		s.broken("an answer seen during this spec breaks a rule that holds for every answer", s.Observe(ex))
	}
	if !s.testsRateLimit && s.Throttled != nil && s.Throttled(ex) {
		s.throttled(ex)
	}
}

// Do builds the named step and sends it.
func (s *Spec) Do(name string, vars ...string) *runner.Exchange {
	ginkgo.GinkgoHelper()
	return s.Send(s.Request(name, vars...))
}

// try is one sending of a request, and how long its throttled answer was
// waited out before the next.
type try struct {
	ex   *runner.Exchange
	wait time.Duration
}

// attempts sends req, waiting out throttled answers (unless the spec
// tests the rate limit) at most retry.attempts times, and returns every
// try, the last one the answer. It calls no Ginkgo function, so it may run
// beside others.
func (s *Spec) attempts(req runner.Request) []try {
	retry := s.Deployment.Retry
	tries := []try{{ex: s.Client.Do(req)}}
	for attempt := 1; !s.testsRateLimit && s.Throttled != nil && s.Throttled(tries[len(tries)-1].ex) && attempt <= retry.Attempts; attempt++ {
		wait := retryAfter(tries[len(tries)-1].ex, retry.MaxWait)
		if !s.Client.Replaying() && !s.waitOut(req, wait) { // a replay's answers are all there
			break
		}
		tries[len(tries)-1].wait = wait
		tries = append(tries, try{ex: s.Client.Do(req)})
	}
	return tries
}

// waitOut waits out a throttled answer, and says whether to send again:
// not when the wait would outlast the run (past its deadline no request
// is sent), nor for a create whose spec is ending (the cleanup is waiting
// for it; it stops waiting at once), nor for a removal whose cleanup's
// time is up.
func (s *Spec) waitOut(req runner.Request, wait time.Duration) bool {
	if deadline := s.Client.Deadline(); !deadline.IsZero() && time.Now().Add(wait).After(deadline) {
		return false
	}
	if s.tracker == nil {
		time.Sleep(wait)
		return true
	}
	if !req.Create {
		ctx := s.tracker.cleanup()
		if !req.Cleanup || ctx == nil {
			time.Sleep(wait)
			return true
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
			return true
		case <-ctx.Done():
			return false // the cleanup's time is up: the removal is named as left
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.tracker.ends():
	}
	return !s.tracker.ending()
}

// reportTries attaches each throttled try, then the answer under name.
func (s *Spec) reportTries(tries []try, name string) {
	total := s.Deployment.Retry.Attempts + 1
	for i, t := range tries[:len(tries)-1] {
		s.Attach(fmt.Sprintf("throttled answer, waited %s before try %d of %d", t.wait, i+2, total), t.ex)
	}
	s.Attach(name, tries[len(tries)-1].ex)
}

// retryAfter is how long a throttled answer asks to wait: its Retry-After
// in seconds or as a date, else one second, never more than most.
func retryAfter(ex *runner.Exchange, most time.Duration) time.Duration {
	wait := time.Second
	if h := ex.ResponseHeader.Get("Retry-After"); h != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 {
			wait = time.Duration(n) * time.Second
		} else if at, err := http.ParseTime(h); err == nil {
			wait = time.Until(at)
		}
	}
	return min(max(wait, 0), most)
}

// Judge holds an answer to the spec's row, as the API judges it, and to
// the step's pinned expectations.
func (s *Spec) Judge(ex *runner.Exchange, sent Sent) {
	ginkgo.GinkgoHelper()
	s.unanswered(ex)
	s.Verify(s.check(s, ex, sent))
}

// Burst sends the request again and again, InFlight at a time, until
// the target refuses one (any answer but 200, or none) or most requests
// were sent, and returns the first refusal (in the order the requests
// were started). No request starts once a refusal has come back; the ones
// already on the wire beside the refused one, at most InFlight-1, still
// finish. Only the refusal is attached to the report; a burst never
// refused fails the spec, naming maxKey, the configuration key bounding it.
func (s *Spec) Burst(sent Sent, most int, maxKey string) *runner.Exchange {
	ginkgo.GinkgoHelper()
	s.testsRateLimit = true
	most = max(most, 1)
	results := make([]*runner.Exchange, most)
	var next atomic.Int64
	var refused atomic.Bool
	workers := min(InFlight, most)
	if s.Client.Replaying() {
		// One at a time, the recording's answers in the order they were
		// sent: no request past the recorded refusal.
		workers = 1
	}
	InParallel(workers, func(int) {
		for !refused.Load() {
			i := int(next.Add(1)) - 1
			if i >= most {
				return
			}
			req := sent.Request
			req.Unpaced = true // the burst is meant to exceed the credential's rate
			ex := s.Client.Do(req)
			results[i] = ex
			if ex.Err != nil || ex.Status != 200 {
				refused.Store(true)
			}
		}
	})
	started := 0
	for i, ex := range results {
		if ex == nil {
			continue
		}
		started++
		if ex.Err != nil || ex.Status != 200 {
			s.Attach(fmt.Sprintf("request %d of the burst", i+1), ex)
			return ex
		}
	}
	last := results[started-1]
	s.Attach(fmt.Sprintf("request %d of the burst", started), last)
	s.NotChecked(record.Verdict{Reason: record.Precondition, Key: maxKey,
		Message: fmt.Sprintf("the target refused none of %d requests: its limit, if it has one, is higher; raise %s", started, maxKey)})
	return last
}

// Messages are the expected messages of a content-style row: one per
// expect map of the step, its values filled; an empty value is not pinned.
func (s *Spec) Messages(sent Sent) []check.Message {
	row := s.Row
	maps := sent.Step.Expect
	if len(maps) == 0 {
		maps = []map[string]string{{}}
	}
	vars := map[string]string{"method": sent.Method}
	for k, v := range s.Deployment.Vars {
		vars[k] = v
	}
	for k, v := range sent.Vars {
		vars[k] = v
	}
	var out []check.Message
	for _, m := range maps {
		msg := check.Message{Template: row.Message, Values: map[string]string{}, Lenient: row.Lenient, Wordings: row.Wordings}
		for k, t := range m {
			if v, err := target.Fill(t, vars); err == nil && v != "" {
				msg.Values[k] = v
			}
		}
		out = append(out, msg)
	}
	return out
}
