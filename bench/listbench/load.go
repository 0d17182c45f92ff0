package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"time"
)

// client sends the benchmark's requests, authenticated with an API key, over
// kept-alive loopback connections.
type client struct {
	base, key string
	http      *http.Client
}

func newClient(base, key string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns}
	return &client{base: base, key: key, http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// get sends one GET and returns the body; any status but 200 is an error.
func (c *client) get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-api-key", c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body, nil
}

// check makes sure that the query answers what it should before it is timed,
// so that the figures never measure an error or an empty answer by mistake.
func (c *client) check(path string, items int) error {
	body, err := c.get(path)
	if err != nil {
		return err
	}
	var page struct{ Items []json.RawMessage }
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if len(page.Items) != items {
		return fmt.Errorf("GET %s: %d items, want %d", path, len(page.Items), items)
	}
	return nil
}

// loadStats are one query's figures.
type loadStats struct {
	requests int
	p50, p99 time.Duration
	rate     float64 // requests per second
	// cpu is this process's CPU time per request, server and client together:
	// less sensitive than latency to what else the machine runs.
	cpu time.Duration
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load sends path from concurrency workers for d, after a short warm-up, and
// times each request. With profile, the timed part adds to a CPU profile.
func (c *client) load(path string, concurrency int, d time.Duration, profile *os.File) (loadStats, error) {
	if _, err := c.drive(path, concurrency, d/10); err != nil {
		return loadStats{}, err
	}
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return loadStats{}, err
		}
	}
	t0, cpu0 := time.Now(), cpuTime()
	lat, err := c.drive(path, concurrency, d)
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	if profile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return loadStats{}, err
	}
	slices.Sort(lat)
	return loadStats{
		requests: len(lat),
		p50:      percentile(lat, 50),
		p99:      percentile(lat, 99),
		rate:     float64(len(lat)) / elapsed.Seconds(),
		cpu:      cpu / time.Duration(max(1, len(lat))),
	}, nil
}

// drive runs the workers until d has passed and returns every latency; the
// first failure stops it.
func (c *client) drive(path string, concurrency int, d time.Duration) ([]time.Duration, error) {
	deadline := time.Now().Add(d)
	var (
		mu    sync.Mutex
		all   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var err error
			for time.Now().Before(deadline) {
				t := time.Now()
				if _, err = c.get(path); err != nil {
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			defer mu.Unlock()
			all = append(all, mine...)
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	return all, first
}

// percentile is the p-th percentile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}
