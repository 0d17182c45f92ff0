package server_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestSecretsStayHidden: a destination's credentials reach ffmpeg and nothing a
// person reads: not the API's answers, not the run's cause, not the log at
// debug level, not /metrics. The ffmpeg here prints its command line to stderr
// and fails, as a real one quotes the destination it cannot open.
func TestSecretsStayHidden(t *testing.T) {
	ffmpeg := filepath.Join(t.TempDir(), "ffmpeg")
	if err := os.WriteFile(ffmpeg, []byte("#!/bin/sh\necho \"error opening output: $*\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	logs := &e2e.SyncBuffer{}
	n := startNodeLogging(t, slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		func(c *config.Config) { c.FFmpeg = ffmpeg })

	hidden := func(what, text string) { t.Helper(); e2e.Hidden(t, what, text) }
	b := e2e.WithSecretDestinations(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	var id api.IDResponse
	if code := n.Call("POST", "/api/workflows", map[string]any{"name": "Pushed", "blueprint": b}, &id); code != 201 {
		t.Fatalf("create: %d", code)
	}
	n.Start(id.ID)
	info := n.WaitStatus(id.ID, domain.StatusStartFailed)
	hidden("the cause", info.Cause)

	for _, path := range []string{"/api/workflows/" + id.ID, "/api/workflows", "/api/channels/" + id.ID, "/api/channels"} {
		var body json.RawMessage
		if code := n.Call("GET", path, nil, &body); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		hidden("GET "+path, string(body))
	}
	metrics := n.metrics(t)
	if !strings.Contains(metrics, `onair_workflows{status="START_FAILED"} 1`) {
		t.Fatalf("metrics:\n%s", metrics)
	}
	hidden("/metrics", metrics)
	log := logs.String()
	if !strings.Contains(log, "ffmpeg command line") || !strings.Contains(log, "127.0.0.1:1") {
		t.Fatalf("the log lacks ffmpeg's command line and stderr:\n%s", log)
	}
	hidden("the log", log)
}
