// Command broken does not compile: a type error the build must report.
package main

import (
	"fmt"

	"example.com/broken/internal/ok"
)

func main() {
	var n int = ok.Shout("hello") // type error: string assigned to int
	fmt.Println(n)
}
