// Command onair is a self-hosted live-video service: `onair serve` runs it, and
// the other subcommands are clients of its API.
package main

import (
	"os"

	"onair/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
