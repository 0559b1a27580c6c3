// Package report formats results; it pulls in fmt, strings and encoding/json.
package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"example.com/cgomod/internal/shapes"
)

// Line is one row of the report.
type Line struct {
	Shape string  `json:"shape"`
	Area  float64 `json:"area"`
}

// Text renders the shapes as aligned text.
func Text(ss []shapes.Shape) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "%-8s %10.3f\n", s.Name(), s.Area())
	}
	return b.String()
}

// JSON renders the shapes as a JSON array.
func JSON(ss []shapes.Shape) ([]byte, error) {
	out := make([]Line, 0, len(ss))
	for _, s := range ss {
		out = append(out, Line{s.Name(), s.Area()})
	}
	return json.Marshal(out)
}
