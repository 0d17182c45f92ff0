package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/testutil/e2e"
	"onair/internal/testutil/pgtest"
)

// takeOver is how soon, by the issue, a standby serves once the server that
// held the store is gone: the lease (10 s) and one look (2 s), with room to
// start.
const takeOver = 15 * time.Second

// standbyProcess is an `onair serve` that may not serve yet: its stdout and
// stderr are kept apart, and its addresses are known.
type standbyProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *e2e.SyncBuffer
	http, rtmp     string
	exited         chan error
}

// launch starts `onair serve` on its own free ports with the store flags
// given, and does not wait for it to answer.
func launch(t *testing.T, store []string, extra ...string) *standbyProcess {
	t.Helper()
	p := &standbyProcess{stdout: &e2e.SyncBuffer{}, stderr: &e2e.SyncBuffer{}, http: freeAddr(t), rtmp: freeAddr(t), exited: make(chan error, 1)}
	args := append([]string{"serve", "--http", p.http, "--rtmp", p.rtmp, "--public-url", "http://" + p.http}, store...)
	p.cmd = exec.Command(binary, append(args, extra...)...)
	p.cmd.Env = append(os.Environ(), "ONAIR_ADMIN_API_KEY="+e2e.AdminKey)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("onair serve on %s:\n%s%s", p.http, p.stdout, p.stderr)
		}
	})
	return p
}

// serving reports whether the process answers /healthz.
func (p *standbyProcess) serving(t *testing.T) bool {
	conn, err := net.DialTimeout("tcp", p.http, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	c := &e2e.Client{T: t, Base: "http://" + p.http}
	return c.Call("GET", "/healthz", nil, nil) == 200
}

// waitServing waits until the process serves and says how long that took.
func (p *standbyProcess) waitServing(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	e2e.WaitFor(t, "onair on "+p.http+" to serve", within, func() bool { return p.serving(t) })
	return time.Since(start)
}

// waitRefusal waits until the standby said, on stderr, that holder holds the store.
func (p *standbyProcess) waitRefusal(t *testing.T, holder *standbyProcess) {
	t.Helper()
	e2e.WaitFor(t, "the standby's refusal naming "+holder.http, 20*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), refusal(holder))
	})
}

// refusal is how a refused server names holder.
func refusal(holder *standbyProcess) string {
	_, rtmpPort, _ := net.SplitHostPort(holder.rtmp)
	return "another onair server runs on this store: HTTP http://" + holder.http + ", RTMP rtmp://127.0.0.1:" + rtmpPort + ", host "
}

// testOneServerPerStore: a second `onair serve` on a store that a live server
// holds refuses, naming the holder, and starts no listener; --standby=false
// exits 1 with the same words. The standby serves once the holder is gone:
// after a SIGTERM (which releases the lease) and after a kill -9 (once the
// lease expires), each within takeOver.
func testOneServerPerStore(t *testing.T, store func(name string) []string) {
	a := launch(t, store("a"))
	a.waitServing(t, 20*time.Second)

	b := launch(t, store("b"))
	b.waitRefusal(t, a)
	if !strings.Contains(b.stderr.String(), "standing by") {
		t.Errorf("the standby does not say it stands by:\n%s", b.stderr)
	}
	if conn, err := net.Dial("tcp", b.http); err == nil {
		conn.Close()
		t.Errorf("the standby listens on %s", b.http)
	}

	refused := launch(t, store("refused"), "--standby=false")
	var exit *exec.ExitError
	select {
	case err := <-refused.exited:
		refused.exited <- err
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("--standby=false: %v, want exit status 1", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("--standby=false did not exit")
	}
	if s := refused.stderr.String(); !strings.Contains(s, "onair serve: "+refusal(a)) || !strings.Contains(s, "--standby") {
		t.Errorf("--standby=false says:\n%s", s)
	}

	// A graceful stop releases the lease: the standby takes over at once.
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.exited:
		a.exited <- err
		if err != nil {
			t.Fatalf("the first server after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the first server did not stop on SIGTERM")
	}
	t.Logf("after SIGTERM, the standby served in %v", b.waitServing(t, takeOver))

	// A crash leaves the lease to expire: the next standby takes over then.
	c := launch(t, store("c"))
	c.waitRefusal(t, b)
	b.cmd.Process.Kill()
	t.Logf("after kill -9, the standby served in %v", c.waitServing(t, takeOver))
}

func TestOneServerPerSQLiteFile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	// The same configuration twice, as when a server is started by mistake
	// beside one that runs: one data directory, one SQLite file.
	testOneServerPerStore(t, func(string) []string { return []string{"--data", data} })
}

func TestOneServerPerPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	dir := t.TempDir()
	testOneServerPerStore(t, func(name string) []string {
		return []string{"--database", dsn, "--data", filepath.Join(dir, name)}
	})
}

// TestStalledServerStops: a server that stalls for longer than its lease (here
// stopped with SIGSTOP) finds, when it resumes, that the standby took over; it
// stops and exits 1 with the reason, so that two servers never run one store.
func TestStalledServerStops(t *testing.T) {
	store := []string{"--data", filepath.Join(t.TempDir(), "data")}
	a := launch(t, store)
	a.waitServing(t, 20*time.Second)
	b := launch(t, store)
	b.waitRefusal(t, a)

	a.cmd.Process.Signal(syscall.SIGSTOP)
	b.waitServing(t, takeOver)
	a.cmd.Process.Signal(syscall.SIGCONT)
	var exit *exec.ExitError
	select {
	case err := <-a.exited:
		a.exited <- err
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("the stalled server: %v, want exit status 1", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled server goes on after the standby took over")
	}
	if s := a.stderr.String(); !strings.Contains(s, "onair serve: another server has taken this store's lease") {
		t.Errorf("the stalled server says:\n%s", s)
	}
	if !b.serving(t) {
		t.Error("the server that took over stopped serving")
	}
}
