// Command demo ties the packages together: plain Go, cgo and the standard library.
package main

import (
	"fmt"
	"os"

	"example.com/cgomod/internal/cmath"
	"example.com/cgomod/internal/report"
	"example.com/cgomod/internal/shapes"
)

func main() {
	ss := []shapes.Shape{shapes.Circle{R: 1}, shapes.Rect{W: 2, H: 3}}
	fmt.Print(report.Text(ss))
	j, err := report.JSON(ss)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(j), "fib(40) =", cmath.Fib(40))
}
