package engine

import (
	"context"
	"errors"
	"net"
	"testing"

	"onair/internal/rtmp"
)

// TestRefusalsAreLimited: an address that keeps trying unknown keys is turned
// away before its keys are even looked at; another address is not.
func TestRefusalsAreLimited(t *testing.T) {
	l, err := NewLocal(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	from := func(ip string) rtmp.PublishRequest {
		return rtmp.PublishRequest{App: "live", StreamKey: "0123456789abcdef0123456789abcdef", Remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000}}
	}
	for i := 0; i < 10; i++ {
		if _, err := l.Publish(context.Background(), from("192.0.2.1")); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("attempt %d: %v, want ErrUnknownKey", i, err)
		}
	}
	if _, err := l.Publish(context.Background(), from("192.0.2.1")); !errors.Is(err, ErrTooMany) {
		t.Fatalf("11th attempt: %v, want ErrTooMany", err)
	}
	if _, err := l.Publish(context.Background(), from("192.0.2.2")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("another address: %v, want ErrUnknownKey", err)
	}
}
