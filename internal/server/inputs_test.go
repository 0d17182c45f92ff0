package server_test

import (
	"testing"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestAvailableImmediately: the endpoint of an availableImmediately input is
// listed while the workflow is READY, so an encoder can be set up before the
// start, and it is the one the run accepts. The next run gets a fresh key.
func TestAvailableImmediately(t *testing.T) {
	n := startNode(t, nil)
	b := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	b.Settings.Inputs[0].CreateInput.AvailableImmediately = true
	id := n.Create(b)
	ready := n.Channel(id)
	if ready.Status != domain.StatusReady || len(ready.Endpoints.Input) != 1 || len(ready.Endpoints.Input[0].Endpoints) != 1 {
		t.Fatalf("READY channel lists no endpoint: %+v", ready)
	}
	url := ready.Endpoints.Input[0].Endpoints[0]
	n.Start(id)
	running := n.WaitStatus(id, domain.StatusRunning)
	if got := running.Endpoints.Input[0].Endpoints[0]; got != url {
		t.Fatalf("the run's endpoint %s is not the one announced, %s", got, url)
	}
	if err := e2e.Publish(t, url, 3).Wait(); err != nil {
		t.Fatalf("publishing to the announced endpoint: %v", err)
	}
	n.Stop(id)
	done := n.WaitStatus(id, domain.StatusDone)
	if len(done.Endpoints.Input) != 1 || done.Endpoints.Input[0].Endpoints[0] == url {
		t.Errorf("after the run, the next one's endpoint should be fresh: %+v", done.Endpoints)
	}
}

// TestManagedInput: a managed input keeps its URL over two runs of a duplicated
// workflow, publishing works in both, and deleting it while in use is refused.
func TestManagedInput(t *testing.T) {
	n := startNode(t, nil)
	var in api.ManagedInputInfo
	if code := n.Call("POST", "/api/managed-inputs", map[string]any{"name": "Studio A", "type": "RTMP_PUSH"}, &in); code != 201 || len(in.Endpoints) != 1 {
		t.Fatalf("create input: %d %+v", code, in)
	}
	b := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	b.Settings.Inputs = []domain.Input{{ManagedInput: &domain.ManagedInputRef{ID: in.ID}}}

	first, info := n.CreateAndStart(b)
	if got := info.Endpoints.Input[0].Endpoints[0]; got != in.Endpoints[0] {
		t.Fatalf("run endpoint %s, managed input %s", got, in.Endpoints[0])
	}
	if code := n.Call("DELETE", "/api/managed-inputs/"+in.ID, nil, nil); code != 409 {
		t.Errorf("deleting an input in use: %d, want 409", code)
	}
	if err := e2e.Publish(t, in.Endpoints[0], 3).Wait(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	n.Stop(first)
	n.WaitStatus(first, domain.StatusDone)

	var dup api.IDResponse
	n.Call("POST", "/api/workflows/"+first+"/duplicate", nil, &dup)
	n.Start(dup.ID)
	info = n.WaitStatus(dup.ID, domain.StatusRunning)
	if got := info.Endpoints.Input[0].Endpoints[0]; got != in.Endpoints[0] {
		t.Fatalf("second run endpoint %s, managed input %s", got, in.Endpoints[0])
	}
	if err := e2e.Publish(t, in.Endpoints[0], 3).Wait(); err != nil {
		t.Fatalf("second run: %v", err)
	}
	// A third workflow on the same input is refused while the second runs.
	var res api.ChannelsResult
	other := n.Create(b)
	n.Call("POST", "/api/channels", map[string]any{"workflows": []string{other}}, &res)
	if len(res.Failed) != 1 {
		t.Errorf("a second run on one managed input was accepted: %+v", res)
	}
	n.Stop(dup.ID)
	archives := n.WaitStatus(dup.ID, domain.StatusDone).Archives
	if len(archives) != 1 || archives[0].FileSize == 0 {
		t.Errorf("second run's archive: %+v", archives)
	}
	if code := n.Call("DELETE", "/api/managed-inputs/"+in.ID, nil, nil); code != 204 {
		t.Errorf("deleting a free input: %d", code)
	}
}
