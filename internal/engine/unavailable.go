// Package engine runs the media plane: ingest, pipelines and origin files.
package engine

import (
	"context"
	"errors"

	"onair/internal/domain"
)

// ErrNoEngine is the cause a run fails with on a server that cannot run media.
var ErrNoEngine = errors.New("no media engine")

// Unavailable is the engine of a server that has no media plane: every start fails
// with ErrNoEngine, so that no run ever pretends to be RUNNING.
type Unavailable struct{}

// Provision fails: there is nothing to provision with.
func (Unavailable) Provision(context.Context, domain.Channel) ([]domain.Ingest, error) {
	return nil, ErrNoEngine
}

// Start fails for the same reason.
func (Unavailable) Start(context.Context, domain.Channel) error { return ErrNoEngine }

// Running is always false.
func (Unavailable) Running(domain.Channel) bool { return false }

// Stop has nothing to finalize and produces no archive.
func (Unavailable) Stop(context.Context, domain.Channel) ([]domain.Archive, error) { return nil, nil }

// Delete has nothing to remove.
func (Unavailable) Delete(context.Context, domain.Channel) error { return nil }

// Rollback has nothing to undo.
func (Unavailable) Rollback(context.Context, domain.Channel) error { return nil }
