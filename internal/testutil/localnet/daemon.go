package localnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Daemon is a server process a test runs, such as nginx or Apache httpd:
// started, waited for until it listens, ended with SIGTERM.
type Daemon struct {
	cmd      *exec.Cmd
	errorLog string
}

// StartDaemon starts cmd and waits until addr takes connections. errorLog
// is the file the server writes its errors to, which a failure to start
// quotes with its standard error.
func StartDaemon(cmd *exec.Cmd, addr, errorLog string) (*Daemon, error) {
	d := &Daemon{cmd: cmd, errorLog: errorLog}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := WaitListening(addr, 5*time.Second); err != nil {
		d.Stop()
		return nil, fmt.Errorf("%s: %w: %s %s", filepath.Base(cmd.Path), err, strings.TrimSpace(stderr.String()), d.Log())
	}
	return d, nil
}

// PID is the server's (master) process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Stop ends the server at once (SIGTERM to its master, which ends its
// workers and drops its clients) and waits for it.
func (d *Daemon) Stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
}

// Log is what the server wrote to its error log, for a test that failed.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.errorLog)
	return string(b)
}

// StopAtCleanup stops the server when the test ends, and logs its error
// log then if the test failed.
func (d *Daemon) StopAtCleanup(t testing.TB) {
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("%s's error log:\n%s", filepath.Base(d.cmd.Path), d.Log())
		}
	})
}
