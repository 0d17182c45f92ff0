package server

import (
	"net/http"

	"onair/internal/api"
	"onair/internal/openapi"
)

// Health is the body of GET /healthz.
type Health struct {
	Status string `json:"status" enum:"ok"`
}

// operations documents the routes that the server itself serves, outside /api.
func (s *Server) operations() []openapi.Operation {
	text := func(ct string) openapi.Response {
		return openapi.Response{Status: http.StatusOK, Description: "OK", Body: "", ContentType: ct}
	}
	return []openapi.Operation{
		{Method: "GET", Path: "/healthz", Tag: "Operations", OperationID: "healthz", Public: true,
			Summary: "Liveness: 200 while the store answers",
			Responses: []openapi.Response{
				{Status: http.StatusOK, Description: "OK", Body: Health{}},
				{Status: http.StatusServiceUnavailable, Description: "The store does not answer"},
			}},
		{Method: "GET", Path: "/metrics", Tag: "Operations", OperationID: "metrics",
			Summary: "Prometheus metrics (the metrics token, or a server admin)",
			Description: "The metrics span every organization, so they take the server's metrics token as Authorization: Bearer " +
				"(Prometheus: authorization: {credentials: <token>}), or a server admin's API key or idToken.",
			Security: []map[string][]string{{"metricsToken": {}}, {"apiKey": {}}, {"idToken": {}}},
			Responses: []openapi.Response{text("text/plain"),
				{Status: http.StatusUnauthorized, Description: "No credentials, or not valid ones", Body: api.ErrorBody{}},
				{Status: http.StatusForbidden, Description: "The credentials are not a server admin's", Body: api.ErrorBody{}}}},
		{Method: "GET", Path: "/openapi.json", Tag: "Operations", OperationID: "openapi", Public: true,
			Summary:   "This API reference, as OpenAPI 3.1",
			Responses: []openapi.Response{{Status: http.StatusOK, Description: "OK", Body: map[string]any{}}}},
		{Method: "GET", Path: "/live/{workflowId}/master.m3u8", Tag: "Playback", OperationID: "livePlaylist", Public: true,
			Summary: "Live HLS master playlist of a running channel",
			Description: "The URL that GET /api/channels/{workflowId} lists as its HLS output. Variant playlists and segments " +
				"are below it; a STANDARD channel serves pipeline 0 at /live/{workflowId}/0/ and pipeline 1 at /1/. " +
				"Playlists are sent with Cache-Control: no-cache, segments as immutable; CORS is open and byte ranges work.",
			Params:    []openapi.Param{{Name: "workflowId", In: "path", Required: true, Type: "string"}},
			Responses: []openapi.Response{text("application/vnd.apple.mpegurl"), {Status: http.StatusNotFound, Description: "No such channel running"}}},
		{Method: "GET", Path: "/archive/{file}", Tag: "Playback", OperationID: "archiveFile", Public: true,
			Summary:     "A recording: its VOD playlist, segments or MP4",
			Description: "The playlistUrl and downloadUrl of a run's archives, as GET /api/channels/{workflowId} lists them.",
			Params:      []openapi.Param{{Name: "file", In: "path", Required: true, Type: "string", Description: "The path after /archive/ in playlistUrl or downloadUrl."}},
			Responses:   []openapi.Response{text("video/mp4"), {Status: http.StatusNotFound, Description: "No such file"}}},
		{Method: "GET", Path: "/docs/", Tag: "Operations", OperationID: "docs", Public: true,
			Summary:   "The API reference, rendered",
			Responses: []openapi.Response{text("text/html")}},
	}
}
