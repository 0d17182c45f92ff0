// Package cli is the onair command: `onair serve` runs the server, and
// `onair <resource> <verb>` is a client of its API.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"onair/internal/config"
	"onair/internal/server"
)

const usage = `onair: self-hosted live video.

Server:
  onair serve [flags]            run the server (onair serve -h lists the flags)

Operators (on the server's store, with serve's --config, --data, --database):
  onair admin create-org|create-user|create-api-key

Client (talks to --server, env ONAIR_SERVER, default http://localhost:8080):
  onair login --email EMAIL      log in; later commands use this login
  onair logout
  onair blueprints list|get
  onair workflows  list|get|create|duplicate|delete|schedule
  onair channels   start|stop|list|get
  onair inputs     list|create|delete
  onair api-keys   create|list|disable|enable|delete
  onair version

Every API call needs credentials: the login of "onair login", or an API key
with --api-key (env ONAIR_API_KEY), sent as the x-api-key header.

Run "onair <resource> -h" for a resource's verbs and flags.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintln(stdout, "onair", server.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "admin":
		return runAdmin(args[1:], stdout, stderr, getenv)
	case "login", "logout":
		v := loginVerb()
		if args[0] == "logout" {
			v = logoutVerb()
		}
		return runVerb("onair "+v.name, &v, args[1:], stdout, stderr, getenv)
	}
	return runClient(args[0], args[1:], stdout, stderr, getenv)
}

func serve(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		if err.Error() == "flag: help requested" {
			return 0
		}
		fmt.Fprintln(stderr, "onair serve:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, log, server.WithStderr(stderr))
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		log.Info("stopped before serving (while standing by for another server)")
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "onair serve:", err)
		return 1
	}
	banner(stdout, cfg, srv.HTTPAddr(), srv.GeneratedKey())
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "onair serve:", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// banner tells a person where everything is.
func banner(w io.Writer, cfg config.Config, httpAddr, generatedKey string) {
	base := cfg.PublicURL
	store := cfg.Database
	if i := strings.Index(store, "@"); i > 0 && strings.HasPrefix(store, "postgres") {
		store = "postgres://…" + store[i:] // never print a password
	}
	fmt.Fprintf(w, `onair %s is serving (HTTP on %s)
  API         %s/api          (e.g. curl -H "x-api-key: $ONAIR_API_KEY" %s/api/blueprints)
  API docs    %s/docs
  Console     %s/
  Metrics     %s/metrics
  Store       %s
  Data        %s
  Encoders    push RTMP to rtmp://%s:%s/live/<stream key>; a running channel lists its URL (onair channels get <workflowId>)
`, server.Version, httpAddr, base, base, base, base, base, store, cfg.Data, cfg.IngestHost(), port(cfg.RTMP))
	if generatedKey != "" {
		fmt.Fprintf(w, `  Admin key   %s
              generated for this new server and shown only now: export ONAIR_API_KEY=%s
              (the CLI and the console use it; ONAIR_ADMIN_API_KEY sets your own instead)
`, generatedKey, generatedKey)
	}
}

func port(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
