package engine

import (
	"context"
	"errors"
	"math"
	"net"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/ingest"
	"onair/internal/testutil/fftest"
)

func publishReq(path string, port int) ingest.PublishRequest {
	return ingest.PublishRequest{Path: path, Remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}}
}

// provisioning is a run that the store has and this engine has not seen yet:
// a start the controller has not got to.
func provisioning(key string) domain.Channel {
	return domain.Channel{
		Workflow: domain.Workflow{ID: "wf", OrgID: "org", Status: domain.StatusProvisioning, Blueprint: smallBlueprint(), CreateArchives: true},
		Run:      &domain.Run{ID: "run", Status: domain.StatusProvisioning, Inputs: []domain.Ingest{{Pipeline: 0, App: domain.IngestApp, StreamKey: key}}},
	}
}

// lookupOf answers the engine's store lookups from one channel.
func lookupOf(ch domain.Channel) func(context.Context, string) (domain.Channel, bool, error) {
	return func(_ context.Context, key string) (domain.Channel, bool, error) {
		for _, in := range ch.Run.Inputs {
			if in.StreamKey == key {
				return ch, true, nil
			}
		}
		return domain.Channel{}, false, nil
	}
}

// TestHeldPublisher: a publisher whose key only the store knows yet (its start
// was just asked for) is accepted at once; what it sends is held until the
// pipeline is up, and none of it is lost from the archive.
func TestHeldPublisher(t *testing.T) {
	ffmpeg, ffprobe := fftest.Tools(t)
	const seconds = 4
	src := sourceOf(t, seconds)
	key := domain.NewStreamKey()
	ch := provisioning(key)
	l, err := NewLocal(Config{DataDir: t.TempDir(), FFmpeg: ffmpeg, FFprobe: ffprobe, Grace: 5 * time.Second, Lookup: lookupOf(ch)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Shutdown(context.Background()) })
	ctx := context.Background()
	if _, err := l.Publish(ctx, publishReq("live/0123456789abcdef0123456789abcdef", 50000)); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("a key no run has: %v, want ErrUnknownKey", err)
	}
	sink, err := l.Publish(ctx, publishReq(domain.IngestApp+"/"+key, 50001))
	if err != nil {
		t.Fatalf("the publisher of a run being provisioned was refused: %v", err)
	}
	// It publishes in real time; the controller gets to the run a second
	// later, while it goes on.
	played := make(chan error, 1)
	go func() { played <- src.play(sink) }()
	time.Sleep(time.Second)
	ingests, err := l.Provision(ctx, ch)
	if err != nil || len(ingests) != 1 || ingests[0].StreamKey != key {
		t.Fatalf("Provision: %v %+v", err, ingests)
	}
	if err := l.Start(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if !l.Running(ch) {
		t.Fatal("not running after Start")
	}
	if err := <-played; err != nil {
		t.Fatal(err)
	}
	sink.Close(nil)
	archives, err := l.Stop(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) != 1 || math.Abs(archives[0].Duration-seconds) > 1 {
		t.Fatalf("archives %+v, want the %d s the publisher sent while held", archives, seconds)
	}
}

// TestHeldPublisherHearsWhyTheStartFailed: when a start fails, the publisher
// that waited for it is let go with the cause.
func TestHeldPublisherHearsWhyTheStartFailed(t *testing.T) {
	key := domain.NewStreamKey()
	ch := provisioning(key)
	l, err := NewLocal(Config{DataDir: t.TempDir(), FFmpeg: "/nonexistent/ffmpeg", Lookup: lookupOf(ch)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sink, err := l.Publish(ctx, publishReq(key, 50002)) // FrontMaster's rtmp://host/KEY form
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Provision(ctx, ch); err != nil {
		t.Fatal(err)
	}
	startErr := l.Start(ctx, ch)
	if startErr == nil {
		t.Fatal("Start with no ffmpeg succeeded")
	}
	select {
	case <-sink.Done():
		t.Fatal("the publisher was let go before the rollback")
	default:
	}
	if err := l.Rollback(ctx, ch, startErr); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sink.Done():
	case <-time.After(time.Second):
		t.Fatal("the held publisher was not let go")
	}
	if got := sink.(ingest.Causer).Cause(); !errors.Is(got, startErr) {
		t.Errorf("the publisher was told %v, want %v", got, startErr)
	}
}

// TestHoldExpires: publishers held for a start that never comes are let go.
func TestHoldExpires(t *testing.T) {
	key := domain.NewStreamKey()
	l, err := NewLocal(Config{DataDir: t.TempDir(), Lookup: lookupOf(provisioning(key)), HoldTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := l.Publish(context.Background(), publishReq("live/"+key, 50004))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sink.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a publisher held for a start that never came is still held")
	}
	if got := sink.(ingest.Causer).Cause(); !errors.Is(got, errHoldExpired) {
		t.Errorf("cause %v", got)
	}
}
