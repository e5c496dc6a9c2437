package check

import (
	"sync"
	"testing"
)

// A message's patterns are compiled once and shared, also by checks that
// run at the same time; other values make other patterns.
func TestContentPatternsAreCompiledOnce(t *testing.T) {
	c, err := NewContent(Lenient)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := "Required parameter '{parameterName}' is missing"
	m := Message{Template: tmpl, Values: map[string]string{"parameterName": "geo_id"}, Lenient: []string{"Missing '{parameterName}'"}}
	first := c.patterns(m)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			same := Message{Template: tmpl, Values: map[string]string{"parameterName": "geo_id"}, Lenient: []string{"Missing '{parameterName}'"}}
			if got := c.patterns(same); &got[0] != &first[0] {
				t.Error("an equal message was compiled again")
			}
		})
	}
	wg.Wait()
	other := c.patterns(Message{Template: tmpl, Values: map[string]string{"parameterName": "text"}})
	if len(other) != 1 || !other[0].MatchString("Required parameter 'text' is missing") || other[0].MatchString("Required parameter 'geo_id' is missing") {
		t.Fatalf("other values must make other patterns: %v", other)
	}
	if !matchesAny(first, "Missing 'geo_id'") {
		t.Fatal("the lenient spelling is part of the lenient reading's patterns")
	}
}
