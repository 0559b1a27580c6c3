// Package shapes is plain Go: a few types with methods, generics-free so Go 1.19 builds it too.
package shapes

import "math"

// Shape has an area and a name.
type Shape interface {
	Area() float64
	Name() string
}

// Circle is a circle of radius R.
type Circle struct{ R float64 }

// Rect is a W by H rectangle.
type Rect struct{ W, H float64 }

func (c Circle) Area() float64 { return math.Pi * c.R * c.R }
func (c Circle) Name() string   { return "circle" }
func (r Rect) Area() float64    { return r.W * r.H }
func (r Rect) Name() string     { return "rect" }

// Total sums the areas.
func Total(ss []Shape) float64 {
	t := 0.0
	for _, s := range ss {
		t += s.Area()
	}
	return t
}
