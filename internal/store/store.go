// Package store keeps onair's control-plane state: blueprints, workflows and runs.
// One interface, two databases: SQLite on one machine, PostgreSQL when several nodes
// share the state. Open picks one from the DSN.
package store

import (
	"context"
	"time"

	"onair/internal/domain"
)

// Store is the control plane's state. Every method takes the organization that
// owns the objects, so one tenant never reads another's. Missing objects are a
// *domain.NotFoundError; times are UTC.
type Store interface {
	// ListBlueprints returns the organization's own blueprints, by id. The
	// built-in catalog lives in code, not here.
	ListBlueprints(ctx context.Context, org string) ([]domain.Blueprint, error)
	GetBlueprint(ctx context.Context, org, id string) (domain.Blueprint, error)
	// CreateBlueprint fails with a *domain.ConflictError when the id is taken.
	CreateBlueprint(ctx context.Context, org string, b domain.Blueprint) error
	UpdateBlueprint(ctx context.Context, org string, b domain.Blueprint) error
	DeleteBlueprint(ctx context.Context, org, id string) error

	CreateWorkflow(ctx context.Context, w domain.Workflow) error
	GetWorkflow(ctx context.Context, org, id string) (domain.Workflow, error)
	// ListWorkflows returns one page of summaries, newest first.
	ListWorkflows(ctx context.Context, org string, f WorkflowFilter) (WorkflowPage, error)
	// DeleteWorkflow deletes a workflow and its runs if check, called inside the
	// transaction with the stored workflow, returns nil; check's error is returned as is.
	DeleteWorkflow(ctx context.Context, org, id string, check func(domain.Workflow) error) error

	// GetChannel returns a workflow with its current run (nil before the first start).
	GetChannel(ctx context.Context, org, workflowID string) (domain.Channel, error)
	// UpdateChannel reads the workflow and its current run, calls fn, and writes
	// back what fn left, in one transaction that no other update interleaves with.
	// fn may replace Run with a new one (a new start), which is inserted and becomes
	// the workflow's current run. When fn returns an error nothing is written and
	// that error is returned as is.
	UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error)
	// ListRuns returns one page of runs, newest first.
	ListRuns(ctx context.Context, org string, f RunFilter) (RunPage, error)
	// ListChannels returns the same page as ListRuns, each run with what its
	// channel shows of its workflow.
	ListChannels(ctx context.Context, org string, f RunFilter) (ChannelPage, error)
	// ActiveChannels lists, across organizations, the workflows whose status is
	// Active(): the work a controller resumes after a restart.
	ActiveChannels(ctx context.Context) ([]ChannelRef, error)
	// ChannelByStreamKey returns, across organizations, the channel whose
	// current run takes publishers (PROVISIONING, STARTING or RUNNING) on an
	// endpoint with this stream key; found is false when none does.
	ChannelByStreamKey(ctx context.Context, key string) (ch domain.Channel, found bool, err error)
	// ScheduledChannels lists, across organizations, the workflows that have a
	// schedule: the scheduler's work.
	ScheduledChannels(ctx context.Context) ([]ChannelRef, error)
	// CountWorkflows counts workflows by status across organizations, for metrics.
	CountWorkflows(ctx context.Context) (map[domain.Status]int, error)

	CreateManagedInput(ctx context.Context, in domain.ManagedInput) error
	GetManagedInput(ctx context.Context, org, id string) (domain.ManagedInput, error)
	// ListManagedInputs returns the organization's managed inputs, newest first,
	// of one region when region is not empty.
	ListManagedInputs(ctx context.Context, org, region string) ([]domain.ManagedInput, error)
	// DeleteManagedInput deletes an input that no active workflow holds; one that
	// is held is a *domain.ConflictError naming the workflow.
	DeleteManagedInput(ctx context.Context, org, id string) error
	// ClaimManagedInput marks the input as held by a workflow. It fails with a
	// *domain.ConflictError while another workflow whose status is Active()
	// holds it; a claim left by a workflow that is no longer active is taken over.
	ClaimManagedInput(ctx context.Context, org, id, workflowID string) (domain.ManagedInput, error)
	// ReleaseManagedInputs frees every input the workflow holds.
	ReleaseManagedInputs(ctx context.Context, org, workflowID string) error

	IdentityStore
	StreamStore
	ProvisionStore
	PlayoutStore
	MetricStore
	LeaseStore

	Ping(ctx context.Context) error
	Close() error
}

// WorkflowFilter narrows ListWorkflows. Zero values mean "no condition".
type WorkflowFilter struct {
	Tags     []string        // the workflow has all of them
	Statuses []domain.Status // the workflow has any of them
	Search   string          // case-insensitive substring of the name or description
	Limit    int             // page size; DefaultLimit when 0, at most MaxLimit
	Cursor   string          // WorkflowPage.Next of the previous page
}

// WorkflowPage is one page of workflows; Next is empty on the last page.
type WorkflowPage struct {
	Items []domain.WorkflowSummary
	Next  string
}

// RunFilter narrows ListRuns.
type RunFilter struct {
	WorkflowID string // only this workflow's runs
	Limit      int
	Cursor     string
}

// RunPage is one page of runs; Next is empty on the last page.
type RunPage struct {
	Items []domain.Run
	Next  string
}

// ChannelPage is one page of runs with their workflows; Next is empty on the
// last page.
type ChannelPage struct {
	Items []ChannelRun
	Next  string
}

// ChannelRun is a run with what its channel shows of its workflow.
type ChannelRun struct {
	Workflow domain.ChannelWorkflow
	Run      domain.Run
}

// ChannelRef names a workflow across organizations.
type ChannelRef struct {
	OrgID      string
	WorkflowID string
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// StreamStore keeps the Streams API's streams. A stream names its workflow and
// managed input, which live in their own tables; deleting a stream deletes them.
type StreamStore interface {
	// CreateStream fails with a *domain.ConflictError when the id is taken.
	CreateStream(ctx context.Context, st domain.Stream) error
	GetStream(ctx context.Context, org, id string) (domain.Stream, error)
	// ListStreams returns the organization's streams, newest first.
	ListStreams(ctx context.Context, org string) ([]domain.Stream, error)
	// UpdateStream reads a stream, calls fn, and writes back what fn left, in
	// one transaction that no other update of the stream interleaves with. The
	// id, organization, blueprint, workflow, input and creation time stay as
	// they were. When fn returns an error nothing is written and that error is
	// returned as is.
	UpdateStream(ctx context.Context, org, id string, fn func(*domain.Stream) error) (domain.Stream, error)
	// DeleteStream deletes a stream with its workflow (and the workflow's runs)
	// and its managed input, in one transaction, if check, called inside it
	// with the stored workflow, returns nil; check's error is returned as is.
	// A workflow or input deleted earlier on its own is no error; an input that
	// another active workflow holds is a *domain.ConflictError, and then
	// nothing is deleted. The archives' files are not the store's: they stay.
	DeleteStream(ctx context.Context, org, id string, check func(domain.Workflow) error) error
	// ArchivePathInUse reports whether a session of any stream, of any
	// organization, recorded an archive directory that is dir, holds it or lies
	// in it: the archive root is shared, so two sessions must never write into
	// each other's directories.
	ArchivePathInUse(ctx context.Context, dir string) (bool, error)
}

// ProvisionStore keeps the Stream Manager's provisions. A provision is
// known by its scope and stream name across organizations, since publishers
// name it by its RTMP path; each name it answers for under its scope (its
// stream's and its variants') is its alone.
type ProvisionStore interface {
	// CreateProvision fails with a *domain.ConflictError when the scope and
	// name, or a name the provision answers for, is taken.
	CreateProvision(ctx context.Context, p domain.Provision) error
	GetProvision(ctx context.Context, org, scope, name string) (domain.Provision, error)
	// ListProvisions returns the organization's provisions by scope and name.
	ListProvisions(ctx context.Context, org string) ([]domain.Provision, error)
	// UpdateProvision reads a provision, calls fn, and writes back what fn
	// left, in one transaction. The scope, name, organization and creation
	// time stay. A name fn's meta claims that another provision answers for
	// is a *domain.ConflictError, and then nothing is written; fn's own
	// error is returned as is.
	UpdateProvision(ctx context.Context, org, scope, name string, fn func(*domain.Provision) error) (domain.Provision, error)
	// DeleteProvision deletes a provision and returns what it was. Its
	// workflows stay, with their runs and archives.
	DeleteProvision(ctx context.Context, org, scope, name string) (domain.Provision, error)
	// ProvisionByName finds, across organizations, the provision that
	// answers for name under scope: the one of that stream, or the one with
	// a variant of that name. found is false when none does.
	ProvisionByName(ctx context.Context, scope, name string) (p domain.Provision, found bool, err error)
	// ProvisionWorkflow returns the workflow of one of a provision's
	// publish names, making it from wf, in the same transaction, when the
	// provision has none or it was deleted. A provision that does not exist
	// is a *domain.NotFoundError, and then nothing is made.
	ProvisionWorkflow(ctx context.Context, org, scope, name, runName string, wf domain.Workflow) (id string, err error)
	// ProvisionOfWorkflow finds, across organizations, the provision one of
	// whose publish names has this workflow; found is false when none has.
	ProvisionOfWorkflow(ctx context.Context, workflowID string) (p domain.Provision, found bool, err error)
}

// MetricStore keeps the health history's points: 10 s and 1 min periods of
// each pipeline's metrics (package health).
type MetricStore interface {
	// SaveMetricPoints writes points of the health history; a point of a
	// period already stored (same workflow, resolution, time and pipeline)
	// replaces it. Points of a workflow that no longer exists are dropped.
	SaveMetricPoints(ctx context.Context, pts []domain.MetricPoint) error
	// MetricPoints returns a workflow's points of one resolution whose
	// period starts in [from, to), by time then pipeline.
	MetricPoints(ctx context.Context, org, workflowID string, res time.Duration, from, to time.Time) ([]domain.MetricPoint, error)
	// PruneMetricPoints deletes the points of resolution fine of the runs
	// that are no longer active and stopped before fineBefore, and the points
	// of every other resolution from before coarseBefore. It returns how
	// many it deleted.
	PruneMetricPoints(ctx context.Context, fine time.Duration, fineBefore, coarseBefore time.Time) (int64, error)
}

// PlayoutStore keeps playout profiles and the manifests that exist on the
// origin for them. Which profiles a workflow has is the workflow's own
// PlayoutProfileIDs, written with it.
type PlayoutStore interface {
	// CreatePlayoutProfile fails with a *domain.ConflictError when the id is taken.
	CreatePlayoutProfile(ctx context.Context, p domain.PlayoutProfile) error
	GetPlayoutProfile(ctx context.Context, org, id string) (domain.PlayoutProfile, error)
	// ListPlayoutProfiles returns the organization's profiles, oldest first.
	ListPlayoutProfiles(ctx context.Context, org string) ([]domain.PlayoutProfile, error)
	// UpdatePlayoutProfile reads a profile, calls fn, and writes back what
	// fn left (its id, organization and creation time stay).
	UpdatePlayoutProfile(ctx context.Context, org, id string, fn func(*domain.PlayoutProfile) error) (domain.PlayoutProfile, error)
	// DeletePlayoutProfile deletes a profile, detaching it from its
	// workflows, and returns what it was.
	DeletePlayoutProfile(ctx context.Context, org, id string) (domain.PlayoutProfile, error)
	// PlayoutEvents lists the ids of the workflows a profile is attached
	// to, oldest first.
	PlayoutEvents(ctx context.Context, org, profileID string) ([]string, error)
	// PlayoutChannels lists, across organizations, the workflows that have
	// a profile attached or a manifest on the origin: the sync controller's
	// work.
	PlayoutChannels(ctx context.Context) ([]ChannelRef, error)
	// PlayoutManifests lists a workflow's manifests on the origin.
	PlayoutManifests(ctx context.Context, org, workflowID string) ([]domain.PlayoutManifest, error)
	// PlayoutManifest finds, across organizations, the manifest at a path.
	PlayoutManifest(ctx context.Context, path string) (m domain.PlayoutManifest, found bool, err error)
	// PutPlayoutManifest creates or replaces the manifest of a workflow and
	// profile; a path another one holds is a *domain.ConflictError.
	PutPlayoutManifest(ctx context.Context, m domain.PlayoutManifest) error
	// DeletePlayoutManifest removes the manifest of a workflow and profile,
	// if there is one.
	DeletePlayoutManifest(ctx context.Context, workflowID, profileID string) error
}

// IdentityStore keeps organizations, users, API keys, refresh tokens and the
// server's secrets. Emails are unique across the server (login is by email
// alone); API keys and refresh tokens are looked up by their hash, across
// organizations. Nothing here ever holds a password or key in plain text.
type IdentityStore interface {
	// CreateOrganization fails with a *domain.ConflictError when the id is taken.
	CreateOrganization(ctx context.Context, o domain.Organization) error
	GetOrganization(ctx context.Context, id string) (domain.Organization, error)
	// ListOrganizations returns every organization, oldest first.
	ListOrganizations(ctx context.Context) ([]domain.Organization, error)

	// CreateUser fails with a *domain.ConflictError when the email is taken.
	CreateUser(ctx context.Context, u domain.User) error
	GetUser(ctx context.Context, org, id string) (domain.User, error)
	// GetUserByEmail finds a user in any organization, for logging in.
	GetUserByEmail(ctx context.Context, email string) (domain.User, error)
	// ListUsers returns the organization's users, oldest first.
	ListUsers(ctx context.Context, org string) ([]domain.User, error)
	// UpdateUser reads a user, calls fn, and writes back what fn left (role,
	// disabled, password hash), in one transaction. When fn moved the token
	// generation on (User.EndSessions), it is written and the user's refresh
	// tokens are deleted in the same transaction.
	UpdateUser(ctx context.Context, org, id string, fn func(*domain.User) error) (domain.User, error)
	// DeleteUser removes a user and their refresh tokens.
	DeleteUser(ctx context.Context, org, id string) error

	CreateAPIKey(ctx context.Context, k domain.APIKey) error
	// GetAPIKeyByHash finds a key in any organization by the hash of its value.
	GetAPIKeyByHash(ctx context.Context, hash string) (domain.APIKey, error)
	// ListAPIKeys returns the organization's keys, oldest first.
	ListAPIKeys(ctx context.Context, org string) ([]domain.APIKey, error)
	// UpdateAPIKey reads a key, calls fn, and writes back name and enabled.
	UpdateAPIKey(ctx context.Context, org, id string, fn func(*domain.APIKey) error) (domain.APIKey, error)
	DeleteAPIKey(ctx context.Context, org, id string) error

	CreateRefreshToken(ctx context.Context, t domain.RefreshToken) error
	// TakeRefreshToken deletes the token with this hash and returns it, so that
	// each refresh token is used once; a missing one is a *domain.NotFoundError.
	TakeRefreshToken(ctx context.Context, hash string) (domain.RefreshToken, error)

	// Secret returns the server secret with this name, creating it with create
	// the first time; when several nodes race, every one gets the same value.
	Secret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error)
}
