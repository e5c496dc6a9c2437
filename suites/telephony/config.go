package telephony

import (
	"fmt"
	"strings"

	"github.com/confsuite/apiconform/internal/target"
)

// Config describes one deployment of the Telephony API. Every key and its
// default is in config.yaml beside this file; fixtures/telephony.yaml is
// the reference server's.
type Config struct {
	target.Deployment `yaml:",inline"`
	// Resources are documented resources, each with a method it does not
	// support: one 405 spec each.
	Resources []target.Step `yaml:"resources"`
	Limits    Limits        `yaml:"limits"`
	// Existing names data already on the deployment that a collision
	// probe collides with, instead of creating it first.
	Existing Existing `yaml:"existing"`
}

// Existing is data already on a deployment, for the probes that would
// otherwise create something only to collide with it: each one set makes
// its probe send the colliding request alone. Empty: the probe creates it.
type Existing struct {
	Email         string `yaml:"email"`          // 400 email_duplicate: an e-mail address in use on the client
	Name          string `yaml:"name"`           // 400 already_exists: the name of an extension of the client
	ArchiveClient string `yaml:"archive_client"` // 400 archive_already_requested: a client with an archive requested and not downloaded
	FullClient    string `yaml:"full_client"`    // 400 limit_exceeded: a client holding as many extensions as it may
	LimitClient   string `yaml:"limit_client"`   // 400 limit_exceeded: a client of that probe's own, created to its limit beside the other specs
}

// Limits bound what the suite sends.
type Limits struct {
	RequestBodyBytes int64 `yaml:"request_body_bytes"` // «10 МБ»: one byte more is streamed
	LargeFileBytes   int64 `yaml:"large_file_bytes"`   // size of the oversized upload's file
	MaxCreated       int   `yaml:"max_created"`        // most resources the limit probe creates
	MaxRateRequests  int   `yaml:"max_rate_requests"`  // most requests the rate-limit probe sends
}

// runtime are the placeholders the telephony probes fill
// themselves: a fresh name and e-mail address for what they create, and
// the id of what a create made.
var runtime = []string{"name", "email", "id", "address"}

func (c *Config) Validate() []error {
	var errs []error
	for i, s := range c.Resources {
		errs = append(errs, c.CheckStep(fmt.Sprintf("resources[%d]", i), s, runtime)...)
	}
	// An existing client goes into a path as one segment, unescaped
	// like every var: it must name that client and nothing else.
	for key, v := range map[string]string{"existing.archive_client": c.Existing.ArchiveClient,
		"existing.full_client": c.Existing.FullClient, "existing.limit_client": c.Existing.LimitClient} {
		if err := target.CheckPathValue(key, v); err != nil {
			errs = append(errs, err)
		} else if strings.ContainsAny(v, "/?#") {
			errs = append(errs, fmt.Errorf("%s: %q holds /, ? or #: a client id is one path segment", key, v))
		}
	}
	l := c.Limits
	for _, err := range []error{
		target.Between("limits.request_body_bytes", l.RequestBodyBytes, target.MaxRequestBodyBytes),
		target.Between("limits.large_file_bytes", l.LargeFileBytes, target.MaxRequestBodyBytes),
		target.Between("limits.max_created", int64(l.MaxCreated), target.MaxCreated),
		target.Between("limits.max_rate_requests", int64(l.MaxRateRequests), target.MaxRateRequests),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (c *Config) Lists() []target.Step { return c.Resources }
