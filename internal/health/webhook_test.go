package health

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/domain"
)

// TestWebhooks: a notice is tried five times against a webhook that
// answers 500, once against one that answers 400, and a webhook that is
// down holds up no other.
func TestWebhooks(t *testing.T) {
	var failing, refusing, good atomic.Int32
	server := func(n *atomic.Int32, code int) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.WriteHeader(code)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	down, refused, ok := server(&failing, 500), server(&refusing, 400), server(&good, 204)
	w := NewWebhooks(slog.New(slog.DiscardHandler))
	w.Backoff = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w.Start(ctx)
	n := Notice{Type: domain.EventAlertRaised, WorkflowID: "wf", Alert: domain.Alert{Type: domain.AlertInputLoss}}
	w.Send(down, n)
	w.Send(refused, n)
	for range 3 {
		w.Send(ok, n)
	}
	deadline := time.Now().Add(time.Second)
	for good.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if good.Load() != 3 || failing.Load() >= webhookTries {
		t.Errorf("the good webhook got %d of 3 while the failing one had %d tries: it waited behind it", good.Load(), failing.Load())
	}
	deadline = time.Now().Add(10 * time.Second)
	for failing.Load() < webhookTries && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // no sixth try comes
	if failing.Load() != webhookTries || refusing.Load() != 1 {
		t.Errorf("tries: %d against a 500 (want %d), %d against a 400 (want 1)", failing.Load(), webhookTries, refusing.Load())
	}
}

func TestWebhooksBeforeStartDrop(t *testing.T) {
	w := NewWebhooks(slog.New(slog.DiscardHandler))
	w.Send("http://127.0.0.1:1/", Notice{}) // must not block nor start anything
	if len(w.queues) != 0 {
		t.Errorf("a queue before Start: %v", w.queues)
	}
}
