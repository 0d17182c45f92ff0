package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/pgtest"
)

// binary is onair built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onair-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "onair")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is one `onair serve` process.
type process struct {
	cmd *exec.Cmd
	out *e2e.SyncBuffer
}

func serve(t *testing.T, data, httpAddr, rtmpAddr string) *process {
	t.Helper()
	p := &process{out: &e2e.SyncBuffer{}}
	p.cmd = exec.Command(binary, "serve", "--data", data, "--http", httpAddr, "--rtmp", rtmpAddr, "--public-url", "http://"+httpAddr)
	p.cmd.Env = append(os.Environ(), "ONAIR_ADMIN_API_KEY="+e2e.AdminKey)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	c := &e2e.Client{T: t, Base: "http://" + httpAddr, APIKey: e2e.AdminKey}
	e2e.WaitFor(t, "onair to answer", 20*time.Second, func() bool {
		conn, err := net.Dial("tcp", httpAddr)
		if err == nil {
			conn.Close()
		}
		return err == nil && c.Call("GET", "/healthz", nil, nil) == 200
	})
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ffmpegsOf counts the ffmpeg processes working in a data directory.
func ffmpegsOf(data string) int {
	out, _ := exec.Command("pgrep", "-f", "service_name=live/").Output()
	n := 0
	for _, pid := range strings.Fields(string(out)) {
		cwd, _ := os.Readlink("/proc/" + pid + "/cwd")
		if cwd == data {
			n++
		}
	}
	return n
}

// TestStopAndCrashResume: a RUNNING channel survives a graceful stop (SIGTERM)
// and a crash (kill -9) of the server. Each time the next start resumes it (a new
// ffmpeg, the ingest accepting the same key), and at the end its one archive
// holds what every session published.
func TestStopAndCrashResume(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	httpAddr, rtmpAddr := freeAddr(t), freeAddr(t)
	c := &e2e.Client{T: t, Base: "http://" + httpAddr, APIKey: e2e.AdminKey}

	p := serve(t, data, httpAddr, rtmpAddr)
	id, info := c.CreateAndStart(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	ingest := info.Endpoints.Input[0].Endpoints[0]
	archive := filepath.Join(data, "archive", id, info.RunID, "320x180", "index.m3u8")
	if err := e2e.Publish(t, ingest, 4).Wait(); err != nil {
		t.Fatalf("first publisher: %v", err)
	}

	// A graceful stop: the process exits 0 and leaves nothing running.
	p.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("SIGTERM: %v\n%s", err, p.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("onair did not stop on SIGTERM\n%s", p.out)
	}
	if n := ffmpegsOf(data); n != 0 {
		t.Fatalf("%d ffmpeg left running after SIGTERM", n)
	}

	// The next start resumes the run: the same key is accepted again.
	p = serve(t, data, httpAddr, rtmpAddr)
	if s := c.Channel(id).Status; s != domain.StatusRunning {
		t.Fatalf("after restart: %s", s)
	}
	e2e.WaitFor(t, "the resumed pipeline", 20*time.Second, func() bool {
		return e2e.CountEvents(c.Channel(id), "pipeline_started") == 2 && ffmpegsOf(data) == 1
	})
	before := e2e.Segments(archive)
	pub := e2e.Publish(t, ingest, 30)
	e2e.WaitFor(t, "archive segments after the resume", 30*time.Second, func() bool { return e2e.Segments(archive) >= before+2 })

	// A crash: nothing is stopped cleanly. The kernel kills the server's
	// ffmpeg with it (Pdeathsig), at once, so that no old ffmpeg goes on
	// next to the one that the next start runs; and the live playlists stay
	// open, for the next start to continue.
	p.cmd.Process.Kill()
	p.cmd.Wait()
	e2e.WaitFor(t, "the server's ffmpeg to die with it", 3*time.Second, func() bool { return ffmpegsOf(data) == 0 })
	pub.Process.Kill()
	if b, _ := os.ReadFile(filepath.Join(data, "live", id, "180p", "index.m3u8")); strings.Contains(string(b), "#EXT-X-ENDLIST") {
		t.Error("the live playlist was ended by a crash")
	}

	p = serve(t, data, httpAddr, rtmpAddr)
	e2e.WaitFor(t, "the resumed pipeline after the crash", 20*time.Second, func() bool {
		return e2e.CountEvents(c.Channel(id), "pipeline_started") == 3 && ffmpegsOf(data) == 1
	})
	if err := e2e.Publish(t, ingest, 3).Wait(); err != nil {
		t.Fatalf("publisher after the crash: %v", err)
	}
	c.Stop(id)
	info = c.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 || info.Archives[0].FileSize == 0 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	// 4 s, then at least 2 segments (4 s), then 3 s.
	if d := info.Archives[0].Duration; d < 10 {
		t.Errorf("archive lasts %.1f s; the sessions before and after the restarts should all be in it", d)
	}
	e2e.Decodes(t, info.Archives[0].DownloadURL)
	if n := ffmpegsOf(data); n != 0 {
		t.Errorf("%d ffmpeg left after DONE", n)
	}
}
