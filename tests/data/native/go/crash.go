// A Go program that crashes with goroutines in known states, for pmdesk's Go core tests
// (tests/data/native/go/make.sh): one holds a mutex and blocks in an empty select, one waits for that
// mutex, one receives from a channel nobody sends on, one sleeps, one blocks in a read(2) system call, then
// main dereferences a nil pointer; under GOTRACEBACK=crash the runtime prints every goroutine and aborts.
package main

import (
	"sync"
	"syscall"
	"time"
)

type registry struct {
	mu    sync.Mutex
	items map[string]int
}

var reg = &registry{items: map[string]int{}}
var never = make(chan int)

//go:noinline
func holdForever(ready chan struct{}) {
	reg.mu.Lock()
	close(ready)
	select {}
}

//go:noinline
func waitForLock() {
	reg.mu.Lock()
	reg.items["never"] = 1
}

//go:noinline
func receive() int {
	return <-never
}

//go:noinline
func sleepLong() {
	time.Sleep(time.Hour)
}

//go:noinline
func readPipe(fd int) {
	buf := make([]byte, 1)
	syscall.Read(fd, buf)
}

type node struct{ next *node }

//go:noinline
func walk(n *node) int {
	return walk(n.next) + 1
}

func main() {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	ready := make(chan struct{})
	go holdForever(ready)
	<-ready
	go waitForLock()
	go receive()
	go sleepLong()
	go readPipe(fds[0])
	time.Sleep(300 * time.Millisecond)
	walk(&node{})
}
