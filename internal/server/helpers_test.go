package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/server"
	"onair/internal/testutil/e2e"
)

// node is a whole onair server on free ports, over SQLite in a temp dir.
type node struct {
	*e2e.Client
	data string
	rtmp string // the RTMP listener's host:port
}

// public is the public URL the test nodes hand out; Local maps it to the node.
const public = "http://127.0.0.1"

func startNode(t *testing.T, change func(*config.Config), opts ...server.Option) *node {
	t.Helper()
	level := slog.LevelWarn
	if os.Getenv("ONAIR_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return startNodeLogging(t, slog.NewTextHandler(e2e.LogWriter{T: t}, &slog.HandlerOptions{Level: level}), change, opts...)
}

// startNodeLogging is startNode with the server's log going to h.
func startNodeLogging(t *testing.T, h slog.Handler, change func(*config.Config), opts ...server.Option) *node {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Data = filepath.Join(dir, "data")
	cfg.HTTP = "127.0.0.1:0"
	cfg.RTMP = "127.0.0.1:0"
	cfg.Database = "sqlite://" + filepath.Join(dir, "onair.db")
	cfg.PublicURL = public
	cfg.AdminAPIKey = e2e.AdminKey
	if change != nil {
		change(&cfg)
	}
	// Every playlist the node writes is checked, version after version,
	// until it has stopped (cleanups run last first).
	e2e.WatchPlaylists(t, cfg.Data)
	log := slog.New(h)
	srv, err := server.New(context.Background(), cfg, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("server did not stop")
		}
	})
	return &node{Client: &e2e.Client{T: t, Base: "http://" + srv.HTTPAddr(), APIKey: e2e.AdminKey}, data: cfg.Data, rtmp: srv.RTMPAddr()}
}

// local maps a URL the node handed out to where the test reaches it.
func (n *node) local(url string) string { return n.Local(url, public) }

// ffmpegOf is what names a pipeline's ffmpeg in its command line, for pkill
// -f: the pipeline's live directory (live/<workflow>, or live/<workflow>/<p>
// in a STANDARD channel).
func ffmpegOf(liveDir string) string { return "service_name=" + liveDir }

// ffmpegPID is the pid of the last ffmpeg the run's events announce.
func ffmpegPID(t *testing.T, info api.ChannelInfo) int {
	t.Helper()
	pid := 0
	for _, e := range info.Events {
		if e.Type == "pipeline_started" {
			fmt.Sscanf(e.Message, "ffmpeg pid %d", &pid)
		}
	}
	if pid == 0 {
		t.Fatalf("no ffmpeg in the events %+v", info.Events)
	}
	return pid
}
