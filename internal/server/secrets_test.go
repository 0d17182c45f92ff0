package server_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestSecretsStayHidden: a destination's credentials reach the destination
// and nothing a person reads: not the API's answers, not the run's events,
// not the log at debug level, not /metrics, not the encoder's command line.
// Both destinations refuse the connection, as a wrong host would, so that
// onair logs and retries them with their URLs.
func TestSecretsStayHidden(t *testing.T) {
	logs := &e2e.SyncBuffer{}
	n := startNodeLogging(t, slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}), nil)

	hidden := func(what, text string) { t.Helper(); e2e.Hidden(t, what, text) }
	b := e2e.WithSecretDestinations(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	var id api.IDResponse
	if code := n.Call("POST", "/api/workflows", map[string]any{"name": "Pushed", "blueprint": b}, &id); code != 201 {
		t.Fatalf("create: %d", code)
	}
	n.Start(id.ID)
	info := n.WaitStatus(id.ID, domain.StatusRunning)
	e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 20)
	e2e.WaitFor(t, "both destinations to be retried", 30*time.Second, func() bool {
		return strings.Count(logs.String(), "destination failed; retrying") >= 2
	})
	args, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", ffmpegPID(t, n.Channel(id.ID))))
	if err != nil {
		t.Fatal(err)
	}
	hidden("ffmpeg's command line", string(args))

	for _, path := range []string{"/api/workflows/" + id.ID, "/api/workflows", "/api/channels/" + id.ID, "/api/channels"} {
		var body json.RawMessage
		if code := n.Call("GET", path, nil, &body); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		hidden("GET "+path, string(body))
	}
	metrics := n.metrics(t)
	if !strings.Contains(metrics, `onair_workflows{status="RUNNING"} 1`) {
		t.Fatalf("metrics:\n%s", metrics)
	}
	hidden("/metrics", metrics)
	log := logs.String()
	if !strings.Contains(log, "ffmpeg command line") || !strings.Contains(log, "127.0.0.1:1") {
		t.Fatalf("the log lacks ffmpeg's command line and the destinations:\n%s", log)
	}
	hidden("the log", log)
}
