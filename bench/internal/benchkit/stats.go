package benchkit

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Pct is the p-th percentile of sorted durations, by the nearest rank.
func Pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

// Sorted is a sorted copy of d.
func Sorted(d []time.Duration) []time.Duration {
	out := slices.Clone(d)
	slices.Sort(out)
	return out
}

// MS is d in milliseconds.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MB is n bytes in megabytes (10⁶).
func MB(n int64) float64 { return float64(n) / 1e6 }

// Host names the machine, its cores and its load, for a report's heading.
func Host() string {
	h, _ := os.Hostname()
	return h + ", " + strconv.Itoa(runtime.NumCPU()) + " cores, load average " + LoadAvg()
}

// LoadAvg is the machine's 1, 5 and 15 minute load averages, as /proc has them.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// FFmpegVersion is "ffmpeg <version>" as the binary reports it.
func FFmpegVersion(ffmpeg string) string {
	out, err := exec.Command(ffmpeg, "-version").Output()
	if err != nil {
		return "ffmpeg: " + err.Error()
	}
	line, _, _ := strings.Cut(string(out), "\n")
	if f := strings.Fields(line); len(f) >= 3 {
		return "ffmpeg " + f[2]
	}
	return line
}
