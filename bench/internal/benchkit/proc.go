package benchkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Linux's USER_HZ and page size on every platform Go supports there; /proc's
// stat counts CPU time in the one and resident memory in the other.
const (
	clockTick = time.Second / 100
	pageSize  = 4096
)

// procStat is what a benchmark reads of /proc/<pid>/stat.
type procStat struct {
	pid, ppid int
	// cpu is utime+stime+cutime+cstime: the process's own time and that of
	// the children it has reaped, so that a server's ffmpeg still counts
	// after it exited.
	cpu time.Duration
	sys time.Duration // of cpu, the time in the kernel: stime+cstime
	rss int64         // bytes
}

// readStat parses /proc/<pid>/stat; the command name, in parentheses, may
// hold spaces, so the fields are counted after its closing one.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	num := func(n int) int64 { v, _ := strconv.ParseInt(f[n-3], 10, 64); return v }
	return procStat{
		pid:  pid,
		ppid: int(num(4)),
		cpu:  time.Duration(num(14)+num(15)+num(16)+num(17)) * clockTick,
		sys:  time.Duration(num(15)+num(17)) * clockTick,
		rss:  num(24) * pageSize,
	}, nil
}

// Tree is a snapshot of a process and all its descendants.
type Tree struct {
	PIDs []int         // the root first
	CPU  time.Duration // user+system time of them all, reaped children included
	Sys  time.Duration // of CPU, the system time
	RSS  int64         // resident memory of them all, bytes
}

// ReadTree reads the process tree rooted at root from /proc.
func ReadTree(root int) (Tree, error) {
	rs, err := readStat(root)
	if err != nil {
		return Tree{}, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return Tree{}, err
	}
	children := map[int][]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		if st, err := readStat(pid); err == nil {
			children[st.ppid] = append(children[st.ppid], st)
		}
	}
	t := Tree{}
	queue := []procStat{rs}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		t.PIDs = append(t.PIDs, st.pid)
		t.CPU += st.cpu
		t.Sys += st.sys
		t.RSS += st.rss
		queue = append(queue, children[st.pid]...)
	}
	return t, nil
}

// Sampler follows a process tree while a benchmark runs: its CPU time from
// Begin to End, and the peak of its resident memory, read every period.
type Sampler struct {
	root  int
	begin Tree
	stop  chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	peak int64
}

// Begin reads the tree now and samples its memory every period until End.
func Begin(root int, period time.Duration) (*Sampler, error) {
	t, err := ReadTree(root)
	if err != nil {
		return nil, err
	}
	s := &Sampler{root: root, begin: t, stop: make(chan struct{}), peak: t.RSS}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.sample()
			}
		}
	}()
	return s, nil
}

func (s *Sampler) sample() {
	if t, err := ReadTree(s.root); err == nil {
		s.mu.Lock()
		s.peak = max(s.peak, t.RSS)
		s.mu.Unlock()
	}
}

// Usage is what a Sampler measured.
type Usage struct {
	CPU      time.Duration // CPU time of the tree between Begin and End
	Sys      time.Duration // of CPU, the time spent in the kernel
	PeakRSS  int64         // the largest resident memory sampled, bytes
	StartRSS int64         // resident memory at Begin
}

// End stops sampling and returns what the tree used since Begin.
func (s *Sampler) End() (Usage, error) {
	close(s.stop)
	s.wg.Wait()
	t, err := ReadTree(s.root)
	if err != nil {
		return Usage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return Usage{CPU: t.CPU - s.begin.CPU, Sys: t.Sys - s.begin.Sys, PeakRSS: max(s.peak, t.RSS), StartRSS: s.begin.RSS}, nil
}
