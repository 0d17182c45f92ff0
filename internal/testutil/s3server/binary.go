package s3server

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Version of versitygw the tests use.
const Version = "v1.8.0"

// module is versitygw's Go module; its binary is module/cmd/versitygw.
const module = "github.com/versity/versitygw"

// Binary returns the path of versitygw, built with `go install` into the
// tests' cache the first time (about two minutes), since it is never linked
// into onair. The cache is $ONAIR_TEST_CACHE, else
// $XDG_CACHE_HOME/onair-test, else ~/.cache/onair-test, as in .ci/run; the
// binary is its bin/versitygw, rebuilt when it is not of Version.
func Binary() (string, error) {
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "bin")
	bin := filepath.Join(dir, "versitygw")
	if isVersion(bin) {
		return bin, nil
	}
	if err := build(dir); err != nil {
		return "", fmt.Errorf("the S3 tests need versitygw, which did not build: %w\nbuild it by hand with: (cd /tmp && GOBIN=%s GOFLAGS=-mod=mod go install %s/cmd/versitygw@%s)", err, dir, module, Version)
	}
	if !isVersion(bin) {
		return "", fmt.Errorf("go install left no versitygw %s at %s", Version, bin)
	}
	return bin, nil
}

func cacheDir() (string, error) {
	if d := os.Getenv("ONAIR_TEST_CACHE"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "onair-test"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for versitygw (set ONAIR_TEST_CACHE): %w", err)
	}
	return filepath.Join(home, ".cache", "onair-test"), nil
}

// isVersion says whether bin is versitygw at Version. Its build info is
// what tells: `versitygw --version` says "git" when built by go install.
func isVersion(bin string) bool {
	info, err := buildinfo.ReadFile(bin)
	return err == nil && info.Main.Path == module && info.Main.Version == Version
}

// build runs go install into dir, one build at a time across test binaries
// (go test runs packages in parallel): a waiter finds the binary built.
func build(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".versitygw.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close() // and so unlocked
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	if isVersion(filepath.Join(dir, "versitygw")) {
		return nil
	}
	// Outside any module, so that neither onair's go.mod nor a go.work
	// has a say in versitygw's dependencies.
	work, err := os.MkdirTemp("", "versitygw-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cmd := exec.Command("go", "install", module+"/cmd/versitygw@"+Version)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building versitygw %s: %v\n%s", Version, err, out)
	}
	return nil
}
