package storetest

import (
	"sync"
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// RunReopen checks store.Open's migrations on the empty database at dsn: several
// processes opening it at once migrate it once, and opening it again later keeps
// its data and applies nothing twice.
func RunReopen(t *testing.T, dsn string) {
	ctx := t.Context()
	const n = 4
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d of %d at once: %v", i+1, n, err)
		}
		defer stores[i].Close()
	}
	b := domain.Blueprint{ID: "kept", Name: "Kept across opens", Tags: []string{"x"}}
	must(t, stores[0].CreateBlueprint(ctx, "org-a", b))
	got, err := stores[n-1].GetBlueprint(ctx, "org-a", "kept")
	must(t, err)
	equal(t, "blueprint seen through another Open", got, b)

	again, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open of a migrated database: %v", err)
	}
	defer again.Close()
	got, err = again.GetBlueprint(ctx, "org-a", "kept")
	must(t, err)
	equal(t, "blueprint after Open again", got, b)
}
