// Package ok compiles fine; the build still fails in cmd/broken.
package ok

import "strings"

// Shout upper-cases s.
func Shout(s string) string { return strings.ToUpper(s) + "!" }
