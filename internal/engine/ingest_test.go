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
