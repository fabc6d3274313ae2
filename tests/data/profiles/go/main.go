// A Go program that writes its own CPU and heap profiles (make.sh): hot functions, one inlined into its
// caller, pprof labels on part of the work, and allocations of two sizes.
package main

import (
	"context"
	"crypto/sha256"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"
)

var keep [][]byte

func hash(rounds int) byte {
	var sum [32]byte
	for i := 0; i < rounds; i++ {
		sum = sha256.Sum256(sum[:])
	}
	return sum[0]
}

func small(x int) int { return x*31 + 7 } // inlined into sorter's loop

func sorter(n int) int {
	s := make([]int, n)
	for i := range s {
		s[i] = small(n - i)
	}
	sort.Ints(s)
	return s[0]
}

func allocate(big bool) {
	if big {
		keep = append(keep, make([]byte, 1<<20))
	} else {
		for i := 0; i < 64; i++ {
			keep = append(keep, make([]byte, 512))
		}
	}
}

func main() {
	dir := os.Args[1]
	cpu, _ := os.Create(dir + "/cpu.pb.gz")
	pprof.StartCPUProfile(cpu)
	runtime.MemProfileRate = 4096
	end := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(end) {
		pprof.Do(context.Background(), pprof.Labels("phase", "hash"), func(context.Context) { hash(20000) })
		sorter(200000)
		allocate(len(keep)%3 == 0)
	}
	pprof.StopCPUProfile()
	cpu.Close()
	heap, _ := os.Create(dir + "/heap.pb.gz")
	pprof.WriteHeapProfile(heap)
	heap.Close()
}
