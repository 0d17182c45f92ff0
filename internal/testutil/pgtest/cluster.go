package pgtest

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// cluster is a PostgreSQL cluster in a temporary directory, for one test binary:
// started on first use, stopped by Main.
type cluster struct {
	once  sync.Once
	err   error
	admin *sql.DB  // connected to the postgres database, to create the tests' ones
	base  *url.URL // the postgres database's URL

	dir      string // the temporary directory: data/, postgres.log and the socket
	data     string
	run      runner
	started  bool
	watchdog *exec.Cmd
}

// get starts the cluster the first time and returns it, or why it could not start.
func (c *cluster) get() (*sql.DB, *url.URL, error) {
	c.once.Do(func() {
		if err := c.start(); err != nil {
			c.err = err
			if stopErr := c.stop(); stopErr != nil {
				c.err = fmt.Errorf("%w (and cleaning up: %v)", err, stopErr)
			}
		}
	})
	return c.admin, c.base, c.err
}

func (c *cluster) start() error {
	bin, err := findBin()
	if err != nil {
		return err
	}
	c.run = runner{bin: bin}
	owner := -1
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, PostgreSQL must run as another user, and there is no postgres user: %w", err)
		}
		owner, _ = strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.run.user = "postgres"
		if c.dir, err = tempDir(owner); err != nil {
			return err
		}
		if err := os.Chown(c.dir, owner, gid); err != nil {
			return err
		}
	} else if c.dir, err = tempDir(owner); err != nil {
		return err
	}
	c.run.dir = c.dir
	c.data = filepath.Join(c.dir, "data")
	logFile := filepath.Join(c.dir, "postgres.log")

	out, err := c.run.command("initdb", "-D", c.data, "-A", "trust", "-U", "postgres", "--no-sync",
		"-E", "UTF8", "--locale=C").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb (%s): %v\n%s", bin, err, out)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
			port, c.dir)
		out, err := c.run.command("pg_ctl", "-D", c.data, "-l", logFile, "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
		if err == nil {
			c.base = &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: fmt.Sprintf("127.0.0.1:%d", port),
				Path: "/postgres", RawQuery: "sslmode=disable"}
			break
		}
		log := readLog(logFile)
		// Another process may have taken the port between freePort and now.
		if attempt < 3 && strings.Contains(log, "Address already in use") {
			continue
		}
		c.started = true // pg_ctl may have left a postmaster behind; stop tries
		return fmt.Errorf("pg_ctl start (%s): %v\n%s\n%s:\n%s", bin, err, out, logFile, log)
	}
	c.started = true
	c.startWatchdog()
	if c.admin, err = connect(c.base.String()); err != nil {
		return fmt.Errorf("connect to the test cluster: %w\npostgres.log:\n%s", err, readLog(logFile))
	}
	return nil
}

// stop stops the cluster and removes its directory; it is safe to call when
// nothing or only part of the cluster was started.
func (c *cluster) stop() error {
	if c.dir == "" {
		return nil
	}
	var errs []error
	if c.admin != nil {
		c.admin.Close()
		c.admin = nil
	}
	if c.started {
		if out, err := c.run.command("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %v\n%s", err, out))
		}
		c.started = false
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, err)
	}
	c.dir = ""
	if c.watchdog != nil {
		c.watchdog.Process.Kill()
		c.watchdog.Wait()
		c.watchdog = nil
	}
	return errors.Join(errs...)
}

// startWatchdog starts a small shell process that waits for this test binary to
// exit and then stops the cluster and removes its directory. It matters only when
// Main does not get to: a test timeout's panic, a crash, a kill. It ignores the
// terminal's signals and has no output pipes, so go test does not wait for it.
func (c *cluster) startWatchdog() {
	const script = `trap '' INT TERM HUP
while kill -0 "$1" 2>/dev/null; do sleep 1; done
shift
data=$1; dir=$2; shift 2
"$@" -D "$data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir"`
	stop := c.run.command("pg_ctl").Args // the pg_ctl command line, through runuser as root
	args := append([]string{"-c", script, "pgtest-watchdog", strconv.Itoa(os.Getpid()), c.data, c.dir}, stop...)
	cmd := exec.Command("sh", args...)
	cmd.Dir = "/"
	if cmd.Start() == nil {
		c.watchdog = cmd
	}
}

// runner runs PostgreSQL's programs, as the postgres user when this is root.
type runner struct {
	bin  string // the directory of initdb and pg_ctl
	user string // when set, run through runuser as this user
	dir  string // working directory, one that user can enter
}

func (r runner) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(r.bin, name)
	if r.user != "" {
		args = append([]string{"-u", r.user, "--", path}, args...)
		path = "runuser"
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = r.dir
	return cmd
}

// findBin finds the newest PostgreSQL's programs: Debian and Ubuntu install each
// version under /usr/lib/postgresql/VERSION/bin; elsewhere they are on PATH.
func findBin() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	version := func(p string) []int {
		var v []int
		for _, part := range strings.Split(filepath.Base(filepath.Dir(filepath.Dir(p))), ".") {
			n, _ := strconv.Atoi(part)
			v = append(v, n)
		}
		return v
	}
	sort.Slice(matches, func(i, j int) bool {
		a, b := version(matches[i]), version(matches[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("found no initdb and pg_ctl under /usr/lib/postgresql/*/bin or on PATH")
}

// tempDir makes the cluster's directory, mode 0755. When the cluster runs as
// another user (owner >= 0), every directory above it must let that user
// through, which a private TMPDIR may not: then it falls back to /tmp.
func tempDir(owner int) (string, error) {
	parents := []string{os.TempDir()}
	if owner >= 0 {
		parents = append(parents, "/tmp")
	}
	var why error
	for _, parent := range parents {
		if owner >= 0 {
			if why = traversable(parent, owner); why != nil {
				continue
			}
		}
		dir, err := os.MkdirTemp(parent, "onair-pgtest-")
		if err != nil {
			return "", err
		}
		return dir, os.Chmod(dir, 0o755)
	}
	return "", fmt.Errorf("no temporary directory that the postgres user can reach: %w; set TMPDIR to one", why)
}

// traversable reports why uid cannot reach dir, or nil when it can.
func traversable(dir string, uid int) error {
	for p := dir; ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !ownedBy(info, uid) && info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s is mode %v", p, info.Mode().Perm())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// readLog returns the end of the server's log, for failure messages.
func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
