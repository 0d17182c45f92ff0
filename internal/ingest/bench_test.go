package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFFmpegPassthroughCPU measures what ingest costs the server: the
// CPU-seconds this process (the server; ffmpeg is a child, not counted)
// spends while ffmpeg -re -c copy publishes a 4 Mbps 720p H.264/AAC file for
// 30 s, per stream, into sinks that drop what they get. Run it alone, once:
//
//	go test ./internal/ingest -run '^$' -bench PassthroughCPU -benchtime 1x
//
// ONAIR_BENCH_STREAMS sets the number of concurrent streams (default 1).
func BenchmarkFFmpegPassthroughCPU(b *testing.B) {
	streams := 1
	if n, err := strconv.Atoi(os.Getenv("ONAIR_BENCH_STREAMS")); err == nil && n > 0 {
		streams = n
	}
	const seconds = 30
	file := benchSource(b)
	r := newRecRouter()
	r.discard = true
	_, addr := startServer(b, r, Options{Log: slog.New(slog.DiscardHandler)})
	for range b.N {
		cpu := publishCPU(b, file, seconds, streams, func(i int) string { return fmt.Sprintf("rtmp://%s/live/bench%d", addr, i) })
		b.ReportMetric(cpu.Seconds()/float64(streams), "cpu-s/stream")
		b.ReportMetric(cpu.Seconds()/float64(streams)*40/seconds, "cpu-s/stream/40s")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sinks {
		if s.count < seconds*60 { // 30 fps video and ~47 audio frames a second
			b.Errorf("a sink got %d units in %d s", s.count, seconds)
		}
	}
}

// publishCPU runs streams ffmpeg publishers of file at once, each for
// seconds, and returns the CPU time this process used meanwhile.
func publishCPU(b *testing.B, file string, seconds, streams int, url func(int) string) time.Duration {
	ffmpeg := tool(b, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+30)*time.Second)
	defer cancel()
	before := rusage(b)
	var wg sync.WaitGroup
	for i := range streams {
		cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
			"-i", file, "-t", strconv.Itoa(seconds), "-c", "copy", "-f", "flv", url(i))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				b.Errorf("ffmpeg: %v", err)
			}
		})
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // the server's last reads
	return rusage(b) - before
}

func rusage(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSource is a 32 s, 4 Mbps, 1280x720 30 fps H.264 file with AAC, made
// once and kept in the temp directory: noise keeps x264 from compressing it
// below its bitrate.
func benchSource(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "onair-ingest-bench")
	file := filepath.Join(dir, "src4m.flv")
	if _, err := os.Stat(file); err == nil {
		return file
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	tmp := file + ".tmp.flv"
	cmd := exec.Command(tool(b, "ffmpeg"), "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "32", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "4M",
		"-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "flv", tmp)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("making the benchmark's source: %v", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		b.Fatal(err)
	}
	return file
}
