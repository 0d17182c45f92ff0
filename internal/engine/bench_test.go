package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"onair/internal/catalog"
	"onair/internal/domain"
	"onair/internal/hls/hlstest"
	"onair/internal/testutil/fftest"
)

// BenchmarkPassthroughCPU runs ONAIR_BENCH_STREAMS (default 4) passthrough
// channels of the built-in rtmp-passthrough blueprint (TS, CMAF LL-HLS and
// the archive; ONAIR_BENCH_ARCHIVE=0 leaves the archive out), each fed
// ONAIR_BENCH_SECONDS (default 20) of a 720p30 4 Mbit/s stream in real
// time through the engine's publisher sessions, and reports the process's
// CPU-seconds per stream per 40 s of media, P3's unit. The RTMP ingest is
// not in it (internal/ingest has its own benchmark). Run it with
// -cpuprofile to see where the engine's time goes:
//
//	go test ./internal/engine -run '^$' -bench PassthroughCPU -benchtime 1x -cpuprofile cpu.out
func BenchmarkPassthroughCPU(b *testing.B) {
	streams, seconds := envInt("ONAIR_BENCH_STREAMS", 4), envInt("ONAIR_BENCH_SECONDS", 20)
	ffmpeg, ffprobe := fftest.Tools(b)
	file := filepath.Join(b.TempDir(), "src.ts")
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-vf", "noise=alls=12:allf=t",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3900k", "-maxrate", "4000k", "-bufsize", "8000k",
		"-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "mpegts", file).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v %s", err, out)
	}
	tracks, units := hlstest.ReadTS(b, file)
	src := source{tracks: tracks, units: units}
	bp, _ := catalog.New().Get(catalog.Passthrough)
	archives := os.Getenv("ONAIR_BENCH_ARCHIVE") != "0"
	for b.Loop() {
		l, err := NewLocal(Config{DataDir: b.TempDir(), FFmpeg: ffmpeg, FFprobe: ffprobe})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		var chans []domain.Channel
		for i := range streams {
			key := domain.NewStreamKey()
			ch := domain.Channel{
				Workflow: domain.Workflow{ID: fmt.Sprintf("wf%d", i), Blueprint: bp, CreateArchives: archives},
				Run:      &domain.Run{ID: fmt.Sprintf("run%d", i), Inputs: []domain.Ingest{{Pipeline: 0, App: domain.IngestApp, StreamKey: key}}},
			}
			if _, err := l.Provision(ctx, ch); err != nil {
				b.Fatal(err)
			}
			if err := l.Start(ctx, ch); err != nil {
				b.Fatal(err)
			}
			chans = append(chans, ch)
		}
		before := cpu()
		var wg sync.WaitGroup
		for i, ch := range chans {
			sink, err := l.Publish(ctx, publishReq(domain.IngestApp+"/"+ch.Run.Inputs[0].StreamKey, 50000+i))
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				src.play(sink)
				sink.Close(nil)
			}()
		}
		wg.Wait()
		used := cpu() - before
		b.ReportMetric(used.Seconds()/float64(streams)*40/float64(seconds), "CPU-s/stream/40s")
		for _, ch := range chans {
			if _, err := l.Stop(ctx, ch); err != nil {
				b.Fatal(err)
			}
		}
		l.Shutdown(ctx)
	}
}

// cpu is the process's user and system CPU time so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
