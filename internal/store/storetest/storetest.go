// Package storetest is the behaviour every store.Store must have, as one test
// suite that each database's tests run.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// Run runs the suite. open returns a store on a fresh, empty database and closes
// it when t ends; the subtests run in parallel, each with its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Blueprints", testBlueprints},
		{"BlueprintsOrgIsolation", testBlueprintsOrgIsolation},
		{"WorkflowRoundTrip", testWorkflowRoundTrip},
		{"WorkflowOrgIsolation", testWorkflowOrgIsolation},
		{"ListWorkflowsTagsAndStatuses", testListWorkflowsTagsAndStatuses},
		{"ListWorkflowsSearch", testListWorkflowsSearch},
		{"ListWorkflowsPages", testListWorkflowsPages},
		{"ListWorkflowsLimits", testListWorkflowsLimits},
		{"ListWorkflowsTagPages", testListWorkflowsTagPages},
		{"ListWorkflowsSearchIndex", testListWorkflowsSearchIndex},
		{"ListWorkflowsSearchMany", testListWorkflowsSearchMany},
		{"BadCursor", testBadCursor},
		{"UpdateChannel", testUpdateChannel},
		{"UpdateChannelError", testUpdateChannelError},
		{"UpdateChannelRuns", testUpdateChannelRuns},
		{"UpdateChannelSerializes", testUpdateChannelSerializes},
		{"DeleteWorkflow", testDeleteWorkflow},
		{"ListRuns", testListRuns},
		{"ListChannels", testListChannels},
		{"ActiveChannelsAndCounts", testActiveChannelsAndCounts},
		{"ChannelByStreamKey", testChannelByStreamKey},
		{"ManagedInputs", testManagedInputs},
		{"ManagedInputsOrgIsolation", testManagedInputsOrgIsolation},
		{"ManagedInputClaims", testManagedInputClaims},
		{"ManagedInputClaimRace", testManagedInputClaimRace},
		{"DeleteManagedInput", testDeleteManagedInput},
		{"Streams", testStreams},
		{"StreamsOrgIsolation", testStreamsOrgIsolation},
		{"StreamArchivePathInUse", testStreamArchivePathInUse},
		{"DeleteStreamParts", testDeleteStreamParts},
		{"Provisions", testProvisions},
		{"Playout", testPlayout},
		{"MetricPoints", testMetricPoints},
		{"Organizations", testOrganizations},
		{"Users", testUsers},
		{"UpdateUser", testUpdateUser},
		{"EndSessions", testEndSessions},
		{"DeleteUser", testDeleteUser},
		{"UsersOrgIsolation", testUsersOrgIsolation},
		{"APIKeys", testAPIKeys},
		{"UpdateAPIKey", testUpdateAPIKey},
		{"APIKeysOrgIsolation", testAPIKeysOrgIsolation},
		{"RefreshTokens", testRefreshTokens},
		{"RefreshTokenRace", testRefreshTokenRace},
		{"Secrets", testSecrets},
		{"SecretRace", testSecretRace},
		{"NoPlaintext", testNoPlaintext},
		{"Leases", testLeases},
		{"LeaseRace", testLeaseRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// base is when the fixtures are created; each is a minute apart.
var base = time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC)

func at(minute int) time.Time { return base.Add(time.Duration(minute) * time.Minute) }

// sampleBlueprint is a realistic blueprint that uses every kind of field.
func sampleBlueprint(id string) domain.Blueprint {
	return domain.Blueprint{
		ID: id, Name: "ABR 720p", Description: "Two renditions up to 720p, archived, pushed to YouTube",
		Featured: true, Tags: []string{"abr", "hd"},
		Settings: domain.BlueprintSettings{
			Inputs: []domain.Input{{CreateInput: &domain.CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH", AvailableImmediately: true}}},
			Channel: domain.ChannelSettings{
				Class: domain.ClassStandard,
				Video: []domain.VideoRendition{
					{Name: "720p", Codec: "H264", Width: 1280, Height: 720, Bitrate: 3_000_000, Maxrate: 3_000_000, GopSeconds: 2, Profile: "high", Framerate: 29.97},
					{Name: "480p", Codec: "H264", Width: 854, Height: 480, Bitrate: 1_200_000, Maxrate: 1_500_000, GopSeconds: 2, Profile: "main"},
				},
				Audio: &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 128_000, Channels: 2},
			},
			OutputGroups: []domain.OutputGroup{
				{Name: "origin", Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 6, WindowSeconds: 3600}},
				{Name: "archive", Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: "720p", NameModifier: "0/$w$x$h$$rc$"}},
				{Name: "youtube", Type: domain.OutputRTMP, DestinationID: "yt"},
			},
			Destinations: []domain.Destination{{ID: "yt", Settings: []domain.DestinationSetting{
				{URL: "rtmp://a.rtmp.youtube.com/live2", StreamName: "main-key"},
				{URL: "rtmp://b.rtmp.youtube.com/live2?backup=1", StreamName: "backup-key"},
			}}},
			PlayerPreview: &domain.PlayerPreview{URL: "https://player.example.com/?v=1&autoplay=1"},
		},
	}
}

// newWorkflow is a READY workflow of org, created at the given minute.
func newWorkflow(org, id string, minute int) domain.Workflow {
	return domain.Workflow{
		ID: id, OrgID: org, Name: "Workflow " + id, Description: "Fixture " + id, Region: "local",
		Status: domain.StatusReady, BlueprintID: "abr", Blueprint: sampleBlueprint("abr"),
		Tags: []string{}, CreateArchives: true, Created: at(minute), Updated: at(minute),
	}
}

func create(t *testing.T, s store.Store, ws ...domain.Workflow) {
	t.Helper()
	for _, w := range ws {
		if err := s.CreateWorkflow(t.Context(), w); err != nil {
			t.Fatalf("CreateWorkflow(%s): %v", w.ID, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// wantNotFound checks that err is the *domain.NotFoundError for kind and id.
func wantNotFound(t *testing.T, what string, err error, kind, id string) {
	t.Helper()
	var nf *domain.NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("%s: got error %v (%T), want a *domain.NotFoundError", what, err, err)
		return
	}
	if nf.Kind != kind || nf.ID != id {
		t.Errorf("%s: got not found %s %q, want %s %q", what, nf.Kind, nf.ID, kind, id)
	}
}

// wantValidation checks that err is a *domain.ValidationError on field.
func wantValidation(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: got error %v (%T), want a *domain.ValidationError", what, err, err)
		return
	}
	if len(ve.Errors) != 1 || ve.Errors[0].Field != field || ve.Errors[0].Message == "" {
		t.Errorf("%s: got %+v, want one error on field %q", what, ve.Errors, field)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func workflowIDs(ws []domain.WorkflowSummary) []string {
	return ids(ws, func(w domain.WorkflowSummary) string { return w.ID })
}

func runIDs(rs []domain.Run) []string { return ids(rs, func(r domain.Run) string { return r.ID }) }

// wfID names the i-th fixture so that ids sort like numbers.
func wfID(prefix string, i int) string { return fmt.Sprintf("%s-%02d", prefix, i) }
