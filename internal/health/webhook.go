package health

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"onair/internal/domain"
)

// Notice is what an alert webhook receives, as JSON, at each alert raised
// or cleared.
type Notice struct {
	Type         string       `json:"type"` // alert_raised or alert_cleared
	Time         time.Time    `json:"time"`
	WorkflowID   string       `json:"workflowId"`
	WorkflowName string       `json:"workflowName"`
	RunID        string       `json:"runId"`
	Alert        domain.Alert `json:"alert"`
	ActiveAlerts int          `json:"activeAlerts"` // the run's open alerts after the change
}

// Webhooks posts notices to their URLs: each URL from its own goroutine
// and queue, in order, so that a webhook that is down holds up no other.
// Each notice is tried up to five times with a growing pause: a 2xx answer
// is delivered; a 4xx other than 408 and 429 will not heal and is not
// tried again.
type Webhooks struct {
	Client *http.Client
	Log    *slog.Logger
	// Backoff is the first pause between tries (1 s when 0); each doubles it.
	Backoff time.Duration

	mu     sync.Mutex
	ctx    context.Context // set by Start; nil drops what is sent
	queues map[string]chan Notice
}

const (
	webhookTries  = 5
	webhookQueue  = 200 // notices waiting per URL
	maxWebhookURL = 100 // URLs with a queue at once
)

// NewWebhooks returns a sender; Start starts its deliveries.
func NewWebhooks(log *slog.Logger) *Webhooks {
	return &Webhooks{Client: &http.Client{Timeout: 10 * time.Second}, Log: log, queues: map[string]chan Notice{}}
}

// Start delivers what is sent from now on, until ctx ends.
func (w *Webhooks) Start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctx = ctx
}

// Send queues a notice for url; a full queue drops it, so that a webhook
// that is down never holds up the event log.
func (w *Webhooks) Send(url string, n Notice) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queues[url]
	if q == nil && w.ctx != nil && len(w.queues) < maxWebhookURL {
		q = make(chan Notice, webhookQueue)
		w.queues[url] = q
		go w.run(url, q)
	}
	if q == nil {
		w.Log.Warn("alert webhook not started, or too many webhook URLs; dropping a notice", "url", domain.MaskURL(url), "workflow", n.WorkflowID, "alert", n.Alert.Type)
		return
	}
	select {
	case q <- n:
	default:
		w.Log.Warn("alert webhook queue is full; dropping a notice", "url", domain.MaskURL(url), "workflow", n.WorkflowID, "alert", n.Alert.Type)
	}
}

// run delivers one URL's notices until the context ends.
func (w *Webhooks) run(url string, q chan Notice) {
	for {
		select {
		case <-w.ctx.Done():
			return
		case n := <-q:
			w.deliver(w.ctx, url, n)
		}
	}
}

func (w *Webhooks) deliver(ctx context.Context, url string, n Notice) {
	body, err := json.Marshal(n)
	if err != nil {
		w.Log.Error("alert webhook notice", "err", err)
		return
	}
	pause := w.Backoff
	if pause <= 0 {
		pause = time.Second
	}
	for try := 1; ; try++ {
		err := w.post(ctx, url, body)
		if err == nil {
			return
		}
		if errors.As(err, new(permanent)) || try == webhookTries || ctx.Err() != nil {
			w.Log.Warn("alert webhook failed; giving up on this notice", "url", domain.MaskURL(url), "tries", try, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// permanent is a failure that another try would not mend.
type permanent struct{ error }

func (w *Webhooks) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return permanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "onair-alerts")
	resp, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests:
		return permanent{fmt.Errorf("the webhook answered %s", resp.Status)}
	default:
		return fmt.Errorf("the webhook answered %s", resp.Status)
	}
}
