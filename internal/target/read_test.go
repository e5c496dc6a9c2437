package target

import (
	"os"
	"path/filepath"
	"testing"
)

// Files the configuration names are read with a bound.
func TestReadBoundedRefusesLargeFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 1025), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readBounded(nil, big, 1024); err == nil {
		t.Fatal("a file past the bound was read")
	}
	if b, err := readBounded(nil, big, 2048); err != nil || len(b) != 1025 {
		t.Fatalf("got %d bytes, %v", len(b), err)
	}
}
