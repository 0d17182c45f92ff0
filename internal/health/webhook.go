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

// Webhooks posts notices to their URLs from one goroutine, in order, each
// tried up to five times with a growing pause: a 2xx answer is delivered; a
// 4xx other than 408 and 429 will not heal and is not tried again.
type Webhooks struct {
	Client *http.Client
	Log    *slog.Logger
	// Backoff is the first pause between tries (1 s when 0); each doubles it.
	Backoff time.Duration

	queue chan delivery
}

type delivery struct {
	url    string
	notice Notice
}

const webhookTries = 5

// NewWebhooks returns a sender with a queue of 1000 notices.
func NewWebhooks(log *slog.Logger) *Webhooks {
	return &Webhooks{Client: &http.Client{Timeout: 10 * time.Second}, Log: log, queue: make(chan delivery, 1000)}
}

// Send queues a notice for url; a full queue drops it, so that a webhook
// that is down never holds up the event log.
func (w *Webhooks) Send(url string, n Notice) {
	select {
	case w.queue <- delivery{url, n}:
	default:
		w.Log.Warn("alert webhook queue is full; dropping a notice", "workflow", n.WorkflowID, "alert", n.Alert.Type)
	}
}

// Run delivers queued notices until ctx ends.
func (w *Webhooks) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-w.queue:
			w.deliver(ctx, d)
		}
	}
}

func (w *Webhooks) deliver(ctx context.Context, d delivery) {
	body, err := json.Marshal(d.notice)
	if err != nil {
		w.Log.Error("alert webhook notice", "err", err)
		return
	}
	pause := w.Backoff
	if pause <= 0 {
		pause = time.Second
	}
	for try := 1; ; try++ {
		err := w.post(ctx, d.url, body)
		if err == nil {
			return
		}
		if errors.As(err, new(permanent)) || try == webhookTries || ctx.Err() != nil {
			w.Log.Warn("alert webhook failed; giving up on this notice", "url", domain.MaskURL(d.url), "tries", try, "err", err)
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

// Changes are the alerts that differ between before and after: raised
// (in after only) and cleared (in before only).
func Changes(before, after []domain.Alert) (raised, cleared []domain.Alert) {
	key := func(a domain.Alert) string { return fmt.Sprint(a.Kind(), "/", a.Pipeline, "/", a.Destination) }
	in := func(list []domain.Alert, a domain.Alert) bool {
		for _, b := range list {
			if key(a) == key(b) {
				return true
			}
		}
		return false
	}
	for _, a := range after {
		if !in(before, a) {
			raised = append(raised, a)
		}
	}
	for _, b := range before {
		if !in(after, b) {
			cleared = append(cleared, b)
		}
	}
	return raised, cleared
}
