package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profileStreams is how many passthrough streams the profiled run has, P3's
// larger figure.
const profileStreams = 20

// profile records where onair's CPU goes during a P3 run of 20 streams, with
// perf (Debian's linux-perf) sampling the server and its children, Go's frame
// pointers giving the call chains; onair has no pprof endpoint, and perf
// needs no change to it. The run is a separate one, so that perf's own cost
// is in no P3 figure. perf.data stays in the directory for `perf report`.
func profile(o options, src source) error {
	if _, err := exec.LookPath("perf"); err != nil {
		return fmt.Errorf("perf is needed for -profile: apt-get install linux-perf")
	}
	if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
		return err
	}
	data, err := filepath.Abs(filepath.Join(o.profileDir, "onair-p3.perf.data"))
	if err != nil {
		return err
	}
	seconds := max(o.p3Seconds, o.profileSecs+10)
	s := onairSetup
	if o.profileTS {
		s = onairTSOnly
	}
	fmt.Printf("Profile: %s, %d passthrough streams, perf record -e cpu-clock -g for %d s from the 5th second, into %s\n", s.name, profileStreams, o.profileSecs, data)
	t, streams, err := s.start(o, profileStreams)
	if err != nil {
		return err
	}
	defer t.close()
	record := func(pids []int) error {
		time.Sleep(5 * time.Second)
		var ids []string
		for _, p := range pids {
			ids = append(ids, strconv.Itoa(p))
		}
		out, err := exec.Command("perf", "record", "-q", "-e", "cpu-clock", "-F", "997", "-g", "-o", data,
			"-p", strings.Join(ids, ","), "--", "sleep", strconv.Itoa(o.profileSecs)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("perf record: %v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if _, err := publish(t, streams, src, seconds, false, record); err != nil {
		return err
	}
	for _, r := range []struct {
		title string
		args  []string
		lines int
		keep  func(string) bool
	}{
		{"by process and object", []string{"--sort", "comm,dso"}, 12, nil},
		{"onair, self time by function (kernel [k] and Go [.])", []string{"--comm", "onair", "--sort", "sym"}, 25, nil},
		{"onair's own and its libraries' functions, with callees (total, self)", []string{"--comm", "onair", "--children", "--sort", "sym"}, 30,
			func(l string) bool { return strings.Contains(l, "onair/") || strings.Contains(l, "github.com/") }},
	} {
		args := append([]string{"report", "-i", data, "--stdio", "-q", "-g", "none", "--percent-limit", "0.5"}, r.args...)
		if !slices.Contains(r.args, "--children") {
			args = append(args, "--no-children")
		}
		out, err := exec.Command("perf", args...).Output()
		if err != nil {
			return fmt.Errorf("perf report: %w", err)
		}
		fmt.Printf("  %s:\n", r.title)
		shown := 0
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l == "" || r.keep != nil && !r.keep(l) {
				continue
			}
			if shown++; shown > r.lines {
				break
			}
			fmt.Println("    " + l)
		}
	}
	return nil
}
