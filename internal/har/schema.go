package har

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xeipuuv/gojsonschema"
)

// CheckSchema validates the HAR file against the HAR 1.2 JSON Schema in
// schemaDir (the har-schema package's lib folder; testdata/har-schema
// holds it), returning every violation.
func CheckSchema(file, schemaDir string) error {
	dir, err := filepath.Abs(schemaDir)
	if err != nil {
		return err
	}
	doc, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	res, err := gojsonschema.Validate(gojsonschema.NewReferenceLoader("file://"+filepath.ToSlash(filepath.Join(dir, "har.json"))),
		gojsonschema.NewReferenceLoader("file://"+filepath.ToSlash(doc)))
	if err != nil {
		return fmt.Errorf("validate %s: %w", file, err)
	}
	if res.Valid() {
		return nil
	}
	var msgs []string
	for _, e := range res.Errors() {
		msgs = append(msgs, e.String())
		if len(msgs) == 20 {
			break
		}
	}
	return fmt.Errorf("%s breaks the HAR 1.2 schema (%d violations): %s", file, len(res.Errors()), strings.Join(msgs, "; "))
}
