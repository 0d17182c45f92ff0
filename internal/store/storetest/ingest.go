package storetest

import (
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// testChannelByStreamKey: a publisher's key finds the run that takes it, in
// any organization, while the run is PROVISIONING, STARTING or RUNNING, and
// only by the whole key.
func testChannelByStreamKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	find := func(key string) (string, bool) {
		t.Helper()
		ch, found, err := s.ChannelByStreamKey(ctx, key)
		must(t, err)
		if !found {
			return "", false
		}
		return ch.Workflow.OrgID + "/" + ch.Run.ID, true
	}
	start := func(org, wf, run string, keys ...string) {
		t.Helper()
		create(t, s, newWorkflow(org, wf, 0))
		_, err := s.UpdateChannel(ctx, org, wf, func(c *domain.Channel) error {
			if err := c.RequestStart(run, true, at(1)); err != nil {
				return err
			}
			for p, k := range keys {
				c.Run.Inputs = append(c.Run.Inputs, domain.Ingest{Pipeline: p, App: domain.IngestApp, StreamKey: k})
			}
			return nil
		})
		must(t, err)
	}
	move := func(org, wf string, to ...domain.Status) {
		t.Helper()
		_, err := s.UpdateChannel(ctx, org, wf, func(c *domain.Channel) error {
			for _, st := range to {
				if err := c.SetStatus(st, "", at(2)); err != nil {
					return err
				}
			}
			return nil
		})
		must(t, err)
	}

	start("org-a", "wf-a", "run-a", "key-a0", "key-a1")
	start("org-b", "wf-b", "run-b", "key-b0")
	for _, c := range []struct {
		key, want string
	}{
		{"key-a0", "org-a/run-a"}, {"key-a1", "org-a/run-a"}, {"key-b0", "org-b/run-b"},
		{"key-a", ""}, {"ey-a0", ""}, {"key-a0 ", ""}, {"", ""}, {`key-a0","`, ""},
	} {
		got, found := find(c.key)
		if got != c.want || found != (c.want != "") {
			t.Errorf("PROVISIONING: key %q finds %q, %v; want %q", c.key, got, found, c.want)
		}
	}
	move("org-a", "wf-a", domain.StatusStarting, domain.StatusRunning)
	if got, _ := find("key-a1"); got != "org-a/run-a" {
		t.Errorf("RUNNING: key finds %q", got)
	}
	move("org-a", "wf-a", domain.StatusStopping)
	if got, found := find("key-a1"); found {
		t.Errorf("STOPPING: key still finds %q", got)
	}
	move("org-b", "wf-b", domain.StatusStartFailed)
	if got, found := find("key-b0"); found {
		t.Errorf("START_FAILED: key still finds %q", got)
	}
}
