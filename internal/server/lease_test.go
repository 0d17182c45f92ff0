package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/server"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
)

// Short leases, so that standbys take over in a fraction of a second.
var shortLease = server.WithLease(50*time.Millisecond, 300*time.Millisecond)

// sharedConfig is a server's configuration on the store of dir, with its own
// data directory and public URL.
func sharedConfig(dir, name string) config.Config {
	cfg := config.Defaults()
	cfg.Data = filepath.Join(dir, name)
	cfg.HTTP, cfg.RTMP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Database = "sqlite://" + filepath.Join(dir, "onair.db")
	cfg.PublicURL = "http://" + name + ".test:8080"
	cfg.AdminAPIKey = e2e.AdminKey
	return cfg
}

// running is a server started with Run; stop ends it and returns Run's error.
type running struct {
	srv  *server.Server
	done chan error
	stop context.CancelFunc
}

func run(t *testing.T, srv *server.Server) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, done: make(chan error, 1), stop: cancel}
	go func() { r.done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
		return nil
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(e2e.LogWriter{T: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// TestSecondServerStandsBy: a second server on a store that a live server
// holds tells who holds it and starts nothing; it serves as soon as the first
// stops. Without standby it refuses at once with the same words.
func TestSecondServerStandsBy(t *testing.T) {
	dir := t.TempDir()
	first, err := server.New(t.Context(), sharedConfig(dir, "first"), testLog(t), shortLease)
	if err != nil {
		t.Fatal(err)
	}
	a := run(t, first)

	noStandby := sharedConfig(dir, "second")
	noStandby.Standby = false
	_, err = server.New(t.Context(), noStandby, testLog(t), shortLease)
	var held *domain.LeaseHeldError
	rtmpPort := first.RTMPAddr()[strings.LastIndex(first.RTMPAddr(), ":"):]
	if !errors.As(err, &held) || !strings.Contains(err.Error(), "HTTP http://first.test:8080, RTMP rtmp://first.test"+rtmpPort+",") ||
		!strings.Contains(err.Error(), "--standby") {
		t.Fatalf("without standby: %v", err)
	}

	var stderr e2e.SyncBuffer
	type started struct {
		srv *server.Server
		err error
	}
	second := make(chan started, 1)
	standby, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a standby that never took over stops waiting
	go func() {
		srv, err := server.New(standby, sharedConfig(dir, "second"), testLog(t), shortLease, server.WithStderr(&stderr))
		second <- started{srv, err}
	}()
	e2e.WaitFor(t, "the standby's refusal", 10*time.Second, func() bool {
		return strings.Contains(stderr.String(), "another onair server runs on this store: HTTP http://first.test:8080")
	})
	time.Sleep(time.Second) // many beats: the standby stays one, and says it once
	select {
	case <-second:
		t.Fatal("the second server started while the first holds the store")
	default:
	}
	if n := strings.Count(stderr.String(), "another onair server"); n != 1 || !strings.Contains(stderr.String(), "standing by") {
		t.Errorf("the standby said, %d times:\n%s", n, stderr.String())
	}

	a.stop()
	if err := a.wait(t); err != nil {
		t.Fatalf("first server: %v", err)
	}
	var b started
	select {
	case b = <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the standby did not take over when the first stopped")
	}
	if b.err != nil {
		t.Fatalf("the standby: %v", b.err)
	}
	run(t, b.srv)
	c := &e2e.Client{T: t, Base: "http://" + b.srv.HTTPAddr(), APIKey: e2e.AdminKey}
	if code := c.Call("GET", "/api/workflows", nil, nil); code != 200 {
		t.Errorf("the server that took over answers %d", code)
	}
}

// TestLostLeaseStopsServer: a server whose lease another server took (it
// stalled longer than its lease) stops serving and says why.
func TestLostLeaseStopsServer(t *testing.T) {
	dir := t.TempDir()
	cfg := sharedConfig(dir, "first")
	srv, err := server.New(t.Context(), cfg, testLog(t), shortLease)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, srv)
	base := "http://" + srv.HTTPAddr()
	if code, _, _ := e2e.Get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}

	other, err := store.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	later := time.Now().Add(time.Hour) // as the first's lease looks after an hour's stall
	if held, err := other.AcquireLease(t.Context(), domain.Lease{Name: "server", Holder: "intruder", Acquired: later, Renewed: later, Expires: later.Add(time.Minute)}); err != nil || held.Holder != "intruder" {
		t.Fatalf("taking the lease: %+v %v", held, err)
	}
	err = r.wait(t)
	if err == nil || !strings.Contains(err.Error(), "another server has taken this store's lease") {
		t.Fatalf("Run: %v, want the lost lease", err)
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("the server still answers after losing its lease: %d", resp.StatusCode)
	}
}
