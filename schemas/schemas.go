// Package schemas holds the documents that describe a conforming body: JSON
// Schemas (draft-07) for the JSON bodies and an XSD for vendors' own checks
// of the Content API's XML envelope. The suites embed them.
package schemas

import "embed"

// Files holds every schema by file name.
//
//go:embed *.json *.xsd
var Files embed.FS
