// Package cmath calls into C, so the build runs cgo and the C compiler.
package cmath

/*
#include <stdint.h>

static uint64_t fib(uint32_t n) {
	uint64_t a = 0, b = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = a + b;
		a = b;
		b = t;
	}
	return a;
}
*/
import "C"

// Fib returns the n-th Fibonacci number, computed in C.
func Fib(n uint32) uint64 { return uint64(C.fib(C.uint32_t(n))) }
