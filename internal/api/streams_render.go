package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onair/internal/domain"
)

// How a stream looks in the Streams API: its fields, their documented types,
// and the URLs built from the stream's workflow and managed input.

// StreamInfo is a stream as the Streams API shows it.
type StreamInfo struct {
	Name                     string            `json:"name"`
	Description              string            `json:"description"`
	ID                       string            `json:"id"`
	RTMP1                    string            `json:"rtmp1" doc:"The main endpoint, rtmp://host:port/live/<stream key>: in OBS the server is everything before the key. The same for every session."`
	RTMP2                    string            `json:"rtmp2" doc:"The backup endpoint, for the same signal from a second encoder."`
	ViewerEndpoint           string            `json:"viewer_endpoint" doc:"The HLS master playlist on this server's origin."`
	ViewerEndpointCloudfront string            `json:"viewer_endpoint_cloudfront" doc:"The same playlist through the CDN of the server's live domain (https); the origin's URL when none is configured."`
	ArchivesPath             map[string]string `json:"archives_path" doc:"Each session id and its archive directory: relative to the archive root (served under /archive/<directory>/), or s3://bucket/prefix/archive/<directory> when the server keeps archives in a bucket, as the trackit document shows them."`
	LastUpdate               string            `json:"last_update" doc:"When the stream last changed: Unix time in seconds, as a string."`
	LastStarted              *string           `json:"last_started" doc:"Unix time in seconds, as a string; null before the first start."`
	LastStopped              *string           `json:"last_stopped" doc:"Unix time in seconds, as a string; null before the first stop."`
	Started                  bool              `json:"started" doc:"True from a start until its stop, or until the session ends on its own."`
	CurrentSessionID         *string           `json:"current_session_id" doc:"The latest session, kept after its stop; null before the first start."`
	LiveChannelID            string            `json:"live_channel_id" doc:"The stream's workflow: GET /api/channels?workflowId= lists its sessions (runs) and their archives."`
	LiveInputID              string            `json:"live_input_id" doc:"The stream's managed input."`
	PackageEndpointID        string            `json:"package_endpoint_id" doc:"The origin's path of the live master playlist."`
	PackageChannelID         string            `json:"package_channel_id" doc:"The workflow that packages the stream, as live_channel_id."`
	SegmentLength            int               `json:"segment_length" doc:"Length of the archive's segment files, in seconds: 300 unless the create said otherwise. The live HLS keeps the blueprint's segment length."`
	StartoverWindowSeconds   int               `json:"startover_window_seconds" doc:"The latest start's DVR window, in seconds."`
	KeyRotationInterval      int               `json:"key_rotation_interval" doc:"The latest start's AES-128 key rotation, in seconds; 0 is clear."`
	CloudfrontAssociated     bool              `json:"cloudfront_associated" doc:"Set by POST /api/streams/{id}/live, cleared by DELETE."`
	BlueprintID              string            `json:"blueprint_id" doc:"An onair addition: the blueprint the stream was made from."`
	PlayoutProfileIDs        []string          `json:"playout_profile_ids" doc:"An onair addition: the playout profiles attached to the stream's workflow (its event)."`
}

// StreamChange is the body of POST /api/streams/{id}: the fields an update
// may change. trackit's clients send the whole stream back, as GET answers
// it: its other fields are read-only, and must be as GET shows them.
type StreamChange struct {
	Name        *string `json:"name,omitempty" doc:"The same characters as at creation; kept when absent."`
	Description *string `json:"description,omitempty" doc:"Kept when absent."`
	// PlayoutProfileIDs replaces the profiles of the stream's event.
	PlayoutProfileIDs *[]string `json:"playout_profile_ids,omitempty" doc:"Replaces the playout profiles, in any state ([] detaches them); kept when absent. Their manifests follow within a second."`
}

func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, st domain.Stream) error {
	info, err := s.streamInfo(r.Context(), st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (s *Server) streamInfo(ctx context.Context, st domain.Stream) (StreamInfo, error) {
	ch, err := s.streamChannel(ctx, st)
	if err != nil {
		return StreamInfo{}, err
	}
	return s.renderStream(ctx, st, ch)
}

// renderStream shows a stream with its channel (nil when its workflow is gone)
// and the endpoints of its managed input ("" when the input is gone).
func (s *Server) renderStream(ctx context.Context, st domain.Stream, ch *domain.Channel) (StreamInfo, error) {
	info := StreamInfo{
		Name: st.Name, Description: st.Description, ID: st.ID,
		ArchivesPath: s.archivesPath(st.ArchivesPath), LastUpdate: epoch(st.LastUpdate),
		LastStarted: epochPtr(st.LastStarted), LastStopped: epochPtr(st.LastStopped),
		Started:       domain.StreamStarted(ch),
		LiveChannelID: st.WorkflowID, LiveInputID: st.InputID, PackageChannelID: st.WorkflowID,
		SegmentLength: st.SegmentLength, StartoverWindowSeconds: st.StartoverWindowSeconds,
		KeyRotationInterval: st.KeyRotationInterval, CloudfrontAssociated: st.CloudfrontAssociated,
		BlueprintID: st.BlueprintID, PlayoutProfileIDs: []string{},
	}
	if ch != nil && ch.Workflow.PlayoutProfileIDs != nil {
		info.PlayoutProfileIDs = ch.Workflow.PlayoutProfileIDs
	}
	if info.ArchivesPath == nil {
		info.ArchivesPath = map[string]string{}
	}
	if st.CurrentSessionID != "" {
		info.CurrentSessionID = &st.CurrentSessionID
	}
	in, err := s.Store.GetManagedInput(ctx, st.OrgID, st.InputID)
	switch {
	case err == nil:
		for _, ing := range in.Ingests {
			switch ing.Pipeline {
			case 0:
				info.RTMP1 = s.IngestURL(ing)
			case 1:
				info.RTMP2 = s.IngestURL(ing)
			}
		}
	case !errors.Is(err, domain.ErrNotFound):
		return StreamInfo{}, err
	}
	wf := domain.Workflow{ID: st.WorkflowID}
	wf.Blueprint.Settings.Channel.Class = domain.ClassStandard
	if ch != nil {
		wf = ch.Workflow
	}
	info.ViewerEndpoint = s.liveURL(wf.ID, wf.Blueprint.Settings.Channel.Class, domain.FormatTS)
	info.PackageEndpointID = strings.TrimPrefix(info.ViewerEndpoint, s.PublicURL)
	info.ViewerEndpointCloudfront = info.ViewerEndpoint
	if s.LiveDomain != "" {
		info.ViewerEndpointCloudfront = "https://" + s.LiveDomain + info.PackageEndpointID
	}
	return info, nil
}

// epoch is a time as trackit writes it: Unix seconds in a string.
func epoch(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func epochPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := epoch(*t)
	return &v
}
