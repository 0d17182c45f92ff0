package engine

import (
	"context"
	"errors"
	"net"
	"testing"

	"onair/internal/domain"
	"onair/internal/ingest"
)

// TestRefusalsAreLimited: an address that keeps trying unknown keys is told to
// wait; another address is not; and a right key is accepted even from the
// address that was told to wait.
func TestRefusalsAreLimited(t *testing.T) {
	key := domain.NewStreamKey()
	ch := provisioning(key)
	l, err := NewLocal(Config{DataDir: t.TempDir(), Lookup: lookupOf(ch)})
	if err != nil {
		t.Fatal(err)
	}
	from := func(ip, key string) ingest.PublishRequest {
		return ingest.PublishRequest{App: "live", Name: key, Path: "live/" + key, Remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000}}
	}
	wrong := "0123456789abcdef0123456789abcdef"
	for i := 0; i < 10; i++ {
		if _, err := l.Publish(context.Background(), from("192.0.2.1", wrong)); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("attempt %d: %v, want ErrUnknownKey", i, err)
		}
	}
	if _, err := l.Publish(context.Background(), from("192.0.2.1", wrong)); !errors.Is(err, ErrTooMany) {
		t.Fatalf("11th attempt: %v, want ErrTooMany", err)
	}
	if _, err := l.Publish(context.Background(), from("192.0.2.2", wrong)); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("another address: %v, want ErrUnknownKey", err)
	}
	if _, err := l.Publish(context.Background(), from("192.0.2.1", key)); err != nil {
		t.Fatalf("the right key from the address over its limit: %v, want it accepted", err)
	}
	if got := l.refused.unknownKey.Load(); got != 12 {
		t.Errorf("%d refusals counted, want 12", got)
	}
}

// TestProvisionRefusalsAreLimited: a provision's wrong credentials count
// against the address like unknown keys, and once it is over its limit even
// the right ones are refused, since passwords, unlike keys, can be guessed.
func TestProvisionRefusalsAreLimited(t *testing.T) {
	key := domain.NewStreamKey()
	ch := provisioning(key)
	ch.Run.Options.UnpublishedStopSeconds = 30
	calls := 0
	l, err := NewLocal(Config{DataDir: t.TempDir(), Provisioned: func(_ context.Context, req ingest.PublishRequest) (*domain.Channel, error) {
		calls++
		switch req.Query {
		case "later":
			return nil, &Refusal{Reason: "the last run is finishing its archive"} // no guess: not counted
		case "password=right":
		default:
			return nil, &Refusal{Reason: "wrong or missing username and password", Guess: true}
		}
		return &ch, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	from := func(ip, query string) ingest.PublishRequest {
		return ingest.PublishRequest{App: "live", Name: "stream1", Path: "live/stream1", Query: query, Remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000}}
	}
	var refusal *Refusal
	for i := 0; i < 20; i++ {
		if _, err := l.Publish(context.Background(), from("192.0.2.1", "later")); !errors.As(err, &refusal) {
			t.Fatalf("attempt %d: %v, want the refusal", i, err)
		}
	}
	calls = 0
	for i := 0; i < 10; i++ {
		if _, err := l.Publish(context.Background(), from("192.0.2.1", "password=wrong")); !errors.As(err, &refusal) {
			t.Fatalf("attempt %d: %v, want the refusal", i, err)
		}
	}
	if _, err := l.Publish(context.Background(), from("192.0.2.1", "password=right")); !errors.Is(err, ErrTooMany) {
		t.Fatalf("the right password from an address over its limit: %v, want ErrTooMany", err)
	}
	if calls != 10 {
		t.Errorf("credentials checked %d times, want 10: not once the address is over its limit", calls)
	}
	s, err := l.Publish(context.Background(), from("192.0.2.2", "password=right"))
	if err != nil || s == nil {
		t.Fatalf("the right password from another address: %v", err)
	}
	if bad, other := l.refused.badCredentials.Load(), l.refused.provision.Load(); bad != 11 || other != 20 {
		t.Errorf("refusals counted: %d bad credentials, %d other, want 11 and 20", bad, other)
	}
	if un := l.Unpublished(); len(un) != 0 {
		t.Errorf("a run with its publisher is unpublished: %v", un)
	}
	s.Close(nil)
	if un := l.Unpublished(); len(un) != 1 {
		t.Errorf("a run whose publisher left is not unpublished: %v", un)
	}
}
