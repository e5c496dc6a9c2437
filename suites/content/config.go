package content

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/confsuite/apiconform/internal/target"
)

// Config describes one deployment of the Content API. Every key and its
// default is in config.yaml beside this file; fixtures/content.yaml is the
// reference server's.
type Config struct {
	target.Deployment `yaml:",inline"`
	// FormatValues are the values of the format parameter; every spec runs
	// with none, with json and with xml.
	FormatValues FormatValues `yaml:"format_values"`
	// NotFound are requests for objects that do not exist, one 404 spec
	// each; expect names the object.
	NotFound []target.Step `yaml:"not_found"`
	// Resources are documented resources, each with a method it does not
	// support: one 405 spec each.
	Resources []target.Step `yaml:"resources"`
	Abandon   int           `yaml:"abandon"` // requests abandoned mid-flight by the 499 probe
	// AbandonAt says when an abandoned request goes away: "" after the
	// whole request, "headers" after its headers, or a number N after N
	// bytes of its body (give the model step a body then).
	AbandonAt string `yaml:"abandon_at"`
	// SuccessFormat requires a 200's body in the format the format
	// parameter asks for, and its Content-Type: the page says so of error
	// messages only (line 5), so it is off unless the deployment opts in.
	SuccessFormat bool   `yaml:"success_format"`
	Limits        Limits `yaml:"limits"`
}

// FormatValues are the values of the format parameter.
type FormatValues struct {
	Param string `yaml:"param"`
	JSON  string `yaml:"json"`
	XML   string `yaml:"xml"`
}

// Limits bound what the suite sends.
type Limits struct {
	MaxRateRequests int `yaml:"max_rate_requests"`
}

// runtime are the placeholders the content probes fill themselves:
// the method of a request (for the 405 message).
var runtime = []string{"method"}

func (c *Config) Validate() []error {
	var errs []error
	if c.FormatValues.Param == "" || c.FormatValues.JSON == "" || c.FormatValues.XML == "" {
		errs = append(errs, errors.New("format_values: param, json and xml are required"))
	}
	for i, s := range c.NotFound {
		errs = append(errs, c.CheckStep(fmt.Sprintf("not_found[%d]", i), s, runtime)...)
	}
	for i, s := range c.Resources {
		errs = append(errs, c.CheckStep(fmt.Sprintf("resources[%d]", i), s, runtime)...)
	}
	if _, err := c.AbandonBytes(); err != nil {
		errs = append(errs, err)
	}
	if err := target.Between("limits.max_rate_requests", int64(c.Limits.MaxRateRequests), target.MaxRateRequests); err != nil {
		errs = append(errs, err)
	}
	if c.Abandon < 0 || c.Abandon > target.MaxAbandon {
		errs = append(errs, fmt.Errorf("abandon: %d: want 0 to %d", c.Abandon, target.MaxAbandon))
	}
	return errs
}

// AbandonBytes is how many body bytes an abandoned request sends before
// going away: -1 for all (abandon_at unset), 0 for none ("headers").
func (c *Config) AbandonBytes() (int64, error) {
	switch c.AbandonAt {
	case "":
		return -1, nil
	case "headers":
		return 0, nil
	}
	n, err := strconv.ParseInt(c.AbandonAt, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("abandon_at: %q: want headers, or a number of body bytes", c.AbandonAt)
	}
	return n, nil
}

func (c *Config) Lists() []target.Step { return append(slices.Clone(c.NotFound), c.Resources...) }
