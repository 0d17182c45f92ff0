package server_test

import (
	"os"
	"testing"

	"onair/internal/cli"
)

// serveEnv makes the test binary be onair itself (cli.Main with its
// arguments), for tests that run a server as a process of its own, to kill
// it with SIGKILL.
const serveEnv = "ONAIR_TEST_AS_ONAIR"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}
