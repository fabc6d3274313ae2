// A Go program that keeps a known structure alive and writes a heap dump (runtime/debug.WriteHeapDump),
// with the facts pmdesk's answers are checked against: runtime.ReadMemStats just before the dump, and what
// a GC frees when the leak's only reference is dropped right after it (the leak's retained size).
// Run by gen.sh: go run main.go -sessions N -out FILE.heapdump -truth FILE.truth.json -profile FILE.pb.gz
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"unsafe"
)

// Session is what the leak accumulates: each holds a name string, a 1 KiB payload and a link.
type Session struct {
	ID      int
	Name    string
	Payload []byte
	Next    *Session
}

// Registry is the leak: a global pointer to a map that only grows.
type Registry struct {
	bySession map[string]*Session
	count     int
}

var registry *Registry // allocated at run time (a package-level literal would be static data, a root itself)

type codeError struct {
	code int
	msg  string
}

func (e *codeError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

// A value type behind an interface is boxed in an object of its own: the dump names its type (an itab's).
type statusError struct {
	status int
	retry  int
}

func (e statusError) Error() string { return fmt.Sprintf("status %d (retry %d)", e.status, e.retry) }

// errorsSeen holds interface values (itab + data), the only typed pointers a heap dump has.
var errorsSeen []error

type blob struct{ data []byte }

//go:noinline
func worker(id int, ready *sync.WaitGroup, block chan struct{}) {
	local := &blob{data: make([]byte, 64<<10*(id+1))} // each frame keeps its own buffer alive
	ready.Done()
	<-block
	runtime.KeepAlive(local)
}

//go:noinline
func fill(n, payload int) {
	var prev *Session
	for i := 0; i < n; i++ {
		s := &Session{ID: i, Name: fmt.Sprintf("session-%06d", i), Payload: make([]byte, payload), Next: prev}
		registry.bySession[s.Name] = s
		registry.count++
		prev = s
	}
}

type result struct {
	HeapObjects    uint64 `json:"heap_objects"`
	HeapAlloc      uint64 `json:"heap_alloc"`
	Mallocs        uint64 `json:"mallocs"`
	Frees          uint64 `json:"frees"`
	NumGC          uint32 `json:"num_gc"`
	RegistryAddr   string `json:"registry_addr"`
	FreedBytes     uint64 `json:"leak_freed_bytes"`
	FreedObjects   uint64 `json:"leak_freed_objects"`
	AllocatedAfter uint64 `json:"allocated_after_dump_bytes"`
	Sessions       int    `json:"sessions"`
	Workers        int    `json:"workers"`
	WorkerBuffers  []int  `json:"worker_buffer_bytes"`
	Errors         int    `json:"errors"`
	StatusErrors   int    `json:"status_errors"`
	GoVersion      string `json:"go_version"`
}

func main() {
	sessions := flag.Int("sessions", 1000, "sessions kept alive")
	out := flag.String("out", "leak.heapdump", "heap dump to write")
	truth := flag.String("truth", "leak.truth.json", "facts to write")
	profile := flag.String("profile", "", "heap profile to write just before the dump")
	payload := flag.Int("payload", 1024, "bytes of each session's payload")
	rate := flag.Int("rate", 1, "runtime.MemProfileRate (1: every allocation sampled, each object has its site)")
	flag.Parse()
	runtime.MemProfileRate = *rate

	registry = &Registry{bySession: map[string]*Session{}}
	fill(*sessions, *payload)
	for i := 0; i < 20; i++ {
		errorsSeen = append(errorsSeen, &codeError{code: 500 + i, msg: "upstream failed"})
		errorsSeen = append(errorsSeen, statusError{status: 400 + i, retry: i})
	}
	const workers = 3
	var ready sync.WaitGroup
	block := make(chan struct{})
	ready.Add(workers)
	for i := 0; i < workers; i++ {
		go worker(i, &ready, block)
	}
	ready.Wait()

	f, err := os.Create(*out)
	if err != nil {
		panic(err)
	}
	regAddr := fmt.Sprintf("0x%x", uintptr(unsafe.Pointer(registry)))
	res := result{Sessions: *sessions, Workers: workers, Errors: len(errorsSeen), StatusErrors: len(errorsSeen) / 2,
		RegistryAddr: regAddr,
		GoVersion:    runtime.Version()}
	for i := 0; i < workers; i++ {
		res.WorkerBuffers = append(res.WorkerBuffers, 64<<10*(i+1))
	}
	runtime.GC()
	runtime.GC()
	if *profile != "" { // as of the last GC: the objects live now, each with its allocation stack
		p, err := os.Create(*profile)
		if err != nil {
			panic(err)
		}
		pprof.Lookup("heap").WriteTo(p, 0)
		p.Close()
		runtime.GC() // what writing the profile allocated is garbage again
		runtime.GC()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	debug.WriteHeapDump(f.Fd())
	registry = nil // the leak's last reference: what the next GC frees is what it retained
	runtime.GC()
	runtime.ReadMemStats(&after)
	res.HeapObjects, res.HeapAlloc = before.HeapObjects, before.HeapAlloc
	res.Mallocs, res.Frees, res.NumGC = before.Mallocs, before.Frees, before.NumGC
	// freed = what the heap lost, plus what was allocated meanwhile (the runtime allocates a little)
	res.AllocatedAfter = after.TotalAlloc - before.TotalAlloc
	res.FreedBytes = before.HeapAlloc + res.AllocatedAfter - after.HeapAlloc
	res.FreedObjects = after.Frees - before.Frees
	f.Close()
	close(block)
	j, _ := json.MarshalIndent(res, "", " ")
	os.WriteFile(*truth, append(j, '\n'), 0o644)
}
