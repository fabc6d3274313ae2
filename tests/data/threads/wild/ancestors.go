// Goroutines started by goroutines, all blocked; run with GODEBUG=tracebackancestors=5 and sent SIGQUIT, the
// runtime prints each goroutine's ancestors after its own stack ("[originating from goroutine N]:").
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

var mu sync.Mutex

func leaf(ch chan int) { <-ch }

func middle(ch chan int) {
	go leaf(ch)
	mu.Lock()
}

func top(ch chan int) {
	go middle(ch)
	time.Sleep(time.Hour)
}

func main() {
	mu.Lock()
	ch := make(chan int)
	go top(ch)
	time.Sleep(300 * time.Millisecond)
	fmt.Fprintln(os.Stdout, "ready")
	select {}
}
