package target

import (
	"crypto/rand"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Fresh values: the {name}, {email} (and any other) a probe fills anew for
// every request that creates something, so no two collide. Each is a
// template in the deployment's format (configuration `fresh.<name>`):
// literal text, random parts {digits:N}, {hex:N}, {letters:N}, and other
// fresh values ({name} in an e-mail address).

// DefaultFresh are the fresh values' templates unless a deployment gives
// its own.
var DefaultFresh = map[string]string{
	"name":  "apiconform-{hex:10}",
	"email": "{name}@apiconform.invalid",
}

var randomPart = regexp.MustCompile(`\{(digits|hex|letters):([0-9]+)\}`)

var alphabets = map[string]string{
	"digits":  "0123456789",
	"hex":     "0123456789abcdef",
	"letters": "abcdefghijklmnopqrstuvwxyz",
}

// checkFresh refuses a template with no random part (its values would
// collide), a random part of no or too many characters, or a reference to
// a fresh value that does not exist or refers back.
func checkFresh(templates map[string]string) []error {
	var errs []error
	for name, t := range templates {
		key := "fresh." + name
		random := randomPart.FindAllStringSubmatch(t, -1)
		for _, m := range random {
			if n, _ := strconv.Atoi(m[2]); n < 1 || n > 64 {
				errs = append(errs, fmt.Errorf("%s: %s: from 1 to 64 characters", key, m[0]))
			}
		}
		rest := randomPart.ReplaceAllString(t, "")
		refs := placeholder.FindAllString(rest, -1)
		for _, r := range refs {
			other := r[1 : len(r)-1]
			ot, ok := templates[other]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: %s is no fresh value (fresh: %s), nor a random part {digits:N}, {hex:N}, {letters:N}", key, r, strings.Join(slices.Sorted(maps.Keys(templates)), ", ")))
			case other == name || placeholder.MatchString(randomPart.ReplaceAllString(ot, "")):
				errs = append(errs, fmt.Errorf("%s: %s: a fresh value may name another only when that one names none", key, r))
			}
		}
		if len(random) == 0 && len(refs) == 0 {
			errs = append(errs, fmt.Errorf("%s: %q has no random part ({digits:N}, {hex:N}, {letters:N}): every value would be the same", key, t))
		}
	}
	return errs
}

// Freshener makes fresh values from a deployment's templates. Values are
// drawn from crypto/rand; a value this process already gave is drawn
// again, so none repeats within a run's process; the processes of a
// parallel run keep to lanes of their own (Lane). Between runs they differ
// by chance alone: give enough random characters (the default, 10 hex
// digits, is one in 2^40).
type Freshener struct {
	templates   map[string]string
	mu          sync.Mutex
	given       map[string]bool
	lane, lanes int // this process's lane of a parallel run (Lane)
}

// Lane keeps this process's values apart from those of the other
// processes of a parallel run: the last character of each value's last
// random part is drawn from the lane-th of lanes equal shares of its
// alphabet (when its alphabet has at least lanes characters), so no two
// processes can give the same value. lane counts from 1.
func (f *Freshener) Lane(lane, lanes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lane, f.lanes = lane, lanes
}

// NewFreshener makes fresh values from templates over DefaultFresh.
func NewFreshener(templates map[string]string) *Freshener {
	all := maps.Clone(DefaultFresh)
	maps.Copy(all, templates)
	return &Freshener{templates: all, given: map[string]bool{}}
}

// Names lists the fresh values, for the placeholders a probe fills.
func (f *Freshener) Names() []string { return slices.Sorted(maps.Keys(f.templates)) }

// Values are one set of fresh values: each random part drawn anew, each
// reference to another fresh value that value.
func (f *Freshener) Values() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	names := f.Names()
	// Those that name no other first, then those that do.
	for _, pass := range []bool{false, true} {
		for _, name := range names {
			t := f.templates[name]
			if placeholder.MatchString(randomPart.ReplaceAllString(t, "")) != pass {
				continue
			}
			for try := 0; ; try++ {
				parts := len(randomPart.FindAllString(t, -1))
				v := randomPart.ReplaceAllStringFunc(t, func(part string) string {
					parts--
					if parts == 0 {
						return f.draw(part, true)
					}
					return f.draw(part, false)
				})
				if pass {
					v, _ = Fill(v, out)
				}
				if !f.given[name+"\x00"+v] || try >= 100 {
					f.given[name+"\x00"+v] = true
					out[name] = v
					break
				}
			}
		}
	}
	return out
}

// draw fills one random part; the last of a value keeps to the lane.
func (f *Freshener) draw(part string, last bool) string {
	m := randomPart.FindStringSubmatch(part)
	alphabet := alphabets[m[1]]
	n, _ := strconv.Atoi(m[2])
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[pick(len(alphabet))]
	}
	if last && f.lanes > 1 && f.lanes <= len(alphabet) {
		share := len(alphabet) / f.lanes
		b[n-1] = alphabet[(f.lane-1)*share+pick(share)]
	}
	return string(b)
}

func pick(n int) int {
	k, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on a supported platform
	}
	return int(k.Int64())
}
