package suite

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// planConfig is the smallest configuration type an API can have.
type planConfig struct {
	target.Deployment `yaml:",inline"`
}

func (*planConfig) Validate() []error    { return nil }
func (*planConfig) Lists() []target.Step { return nil }

func plannedDeployment(t *testing.T) *target.Deployment {
	t.Helper()
	defaults := []byte("base_path: /v1\nauth: {header: Authorization, value: \"Bearer {secret}\"}\ncredentials: {valid: \"\"}\n" +
		"requests:\n  ping: {method: GET, path: /ping}\n  pong: {method: GET, path: /pong}\n")
	src := target.Source{Name: "c.yaml", Dir: fstest.MapFS{"c.yaml": {Data: []byte("credentials: {valid: tok-12345678}\n")}}, File: "c.yaml"}
	cfg, err := target.Load[planConfig](defaults, src, nil, runner.NewRedactor())
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Deployment
}

// A name mistyped in an API's code fails its plan, naming it, before any
// run: the API's own tests (the spec list, the reference runs) build every
// plan, so the mistake fails go test, not a user's run.
func TestPlanNamesAreHeldToCatalogAndDefaults(t *testing.T) {
	cat := &catalog.Catalog{API: "x", Dir: "suites/x", Rows: []catalog.Row{
		{ID: "x.400", Code: 400, Probes: []string{"ping"}},
		{ID: "x.401", Code: 401, Probes: []string{"two steps"}},
	}}
	good := func() map[string]Probe {
		return map[string]Probe{
			"ping":      {Step: "ping"},
			"two steps": {Run: func(*Spec) {}, Uses: []string{"requests.ping", "requests.pong", "limits.x"}},
		}
	}
	d := plannedDeployment(t)
	if err := checkNames("x", cat, Plan{Deployment: d, Probes: good()}); err != nil {
		t.Fatalf("a consistent plan is refused: %v", err)
	}
	for name, c := range map[string]struct {
		change func(map[string]Probe)
		want   string
	}{
		"a misspelt Step":           {func(p map[string]Probe) { p["ping"] = Probe{Step: "pnig"} }, `probe "ping" sends step "pnig"`},
		"a misspelt step in Uses":   {func(p map[string]Probe) { p["two steps"] = Probe{Run: func(*Spec) {}, Uses: []string{"requests.pogn"}} }, `probe "two steps" sends step "pogn"`},
		"a probe no row names":      {func(p map[string]Probe) { p["spare"] = Probe{Step: "ping"} }, `probe "spare" is named by no row`},
		"a row's probe is missing":  {func(p map[string]Probe) { delete(p, "two steps") }, `row x.401 names probe "two steps"`},
		"a probe that does nothing": {func(p map[string]Probe) { p["ping"] = Probe{} }, `probe "ping" has no Step, Run or Items`},
	} {
		probes := good()
		c.change(probes)
		err := checkNames("x", cat, Plan{Deployment: d, Probes: probes})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error containing %q, got %v", name, c.want, err)
		}
	}
}
