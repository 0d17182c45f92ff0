package api

import (
	"net/http"

	"onair/internal/domain"
	"onair/internal/openapi"
)

// Tags group the operations in the API reference.
var Tags = []openapi.Tag{
	{Name: "Blueprints", Description: "Reusable channel templates: the built-in catalog and your organization's own."},
	{Name: "Workflows", Description: "A blueprint snapshot with a name, region, tags and schedule. A workflow runs once; duplicate it to run again."},
	{Name: "Channels", Description: "Start and stop workflows, and read their runs: status, ingest and playback endpoints, archives."},
	{Name: "Managed inputs", Description: "Inputs created on their own, whose endpoint (URL and stream key) stays the same across runs."},
	{Name: "Streams", Description: "The Streams API, in the FrontMaster and trackit shapes: long-lived channels with fixed main and backup RTMP endpoints, started and stopped many times, each session recorded to its own archive directory."},
	{Name: "Provisions", Description: "The Stream Manager API (Red5 Pro), at its documented path: settings for a scope and stream name that a publisher starts a channel with by pushing to rtmp://<host>/<scope>/<stream>: publisher credentials, the ABR variants, georules and qos. Errors are {errorMessage, timestamp}."},
	{Name: "Playout profiles", Description: "Vualto's Live Playout Profiles: named manifest configurations attached to workflows (events), whose manifests exist on the origin at /playout/... while the event is in a playout state; they filter the ladder's tracks, turn HLS or DASH off and may encrypt (CENC, FairPlay). Errors are {message}."},
	{Name: "Regions", Description: "Where workflows run."},
	{Name: "Authentication", Description: "Log in for an idToken (Authorization: Bearer), and refresh it."},
	{Name: "API keys", Description: "Server-to-server credentials, sent as x-api-key: no TTL, full access within the organization."},
	{Name: "Users", Description: "People who log in, each with a role in one organization: admin, editor or viewer."},
	{Name: "Organizations", Description: "Tenants. Each sees only its own objects."},
}

var (
	idParam         = openapi.Param{Name: "id", In: "path", Required: true, Type: "string"}
	workflowIDParam = openapi.Param{Name: "workflowId", In: "path", Required: true, Type: "string", Description: "The workflow id."}
	limitParam      = openapi.Param{Name: "limit", In: "query", Type: "integer", Description: "Page size, 1-500; 50 when absent."}
	nextParam       = openapi.Param{Name: "next", In: "query", Type: "string", Description: "The next cursor of the previous page."}
)

// The health graphs' parameters.
var (
	healthMetricsParam = openapi.Param{Name: "metrics", In: "query",
		Description: "Comma-separated metrics to draw (default NetworkIn,InputVideoFrameRate,InputLossSeconds,DroppedFrames,EncoderSpeed,ActiveAlerts); the others are " +
			"GopSeconds, AvDriftMs, OutputBitrate, QueueDrops, PipelineRestarts, Output4xxErrors, Output5xxErrors, DestinationActive, Viewers and SegmentRequests."}
	healthFormatParam = openapi.Param{Name: "format", In: "query", Enum: []string{"png", "json"}, Description: "png (the default): graphs as images; json: the series."}
	healthParams      = []openapi.Param{
		{Name: "tz", In: "query", Description: "The time zone of the time axis: an IANA name (Europe/Sofia) or an offset (+0200, -03:00); UTC by default.", Example: "Europe/Sofia"},
		{Name: "width", In: "query", Type: "integer", Description: "The graphs' width in pixels, 100 to 2000 (default 600)."},
		{Name: "height", In: "query", Type: "integer", Description: "The graphs' height in pixels, 100 to 2000 (default 400)."},
		{Name: "start", In: "query", Description: "The range's start: RFC 3339 or Unix seconds."},
		{Name: "end", In: "query", Description: "The range's end: RFC 3339 or Unix seconds; now by default, or the end of the channel's last run."},
		{Name: "period", In: "query", Description: "The range's length, with start or end or alone (ending now): 15m, 1h, 24h, 7d; 1h by default.", Example: "1h"},
	}
)

func ok(body any) openapi.Response {
	return openapi.Response{Status: http.StatusOK, Description: "OK", Body: body}
}

func created() openapi.Response {
	return openapi.Response{Status: http.StatusCreated, Description: "Created", Body: IDResponse{}}
}

func noContent() openapi.Response {
	return openapi.Response{Status: http.StatusNoContent, Description: "Done"}
}

// errs documents error responses by status code.
func errs(codes ...int) []openapi.Response {
	out := make([]openapi.Response, len(codes))
	for i, c := range codes {
		out[i] = openapi.Response{Status: c, Description: http.StatusText(c), Body: ErrorBody{}}
	}
	return out
}

// bodyErrs are the errors of every route that reads a JSON body.
var bodyErrs = []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType}

func responses(success openapi.Response, codes ...int) []openapi.Response {
	return append([]openapi.Response{success}, errs(codes...)...)
}

// routes is the API: every operation with its documentation and handler.
func (s *Server) routes() []route {
	body := func(extra ...int) []int { return append(append([]int{}, bodyErrs...), extra...) }
	rts := []route{
		{openapi.Operation{
			Method: "GET", Path: "/api/blueprints", Tag: "Blueprints", OperationID: "listBlueprints",
			Summary:   "List blueprints",
			Responses: responses(ok(BlueprintList{})),
		}, s.listBlueprints},
		{openapi.Operation{
			Method: "POST", Path: "/api/blueprints", Tag: "Blueprints", OperationID: "createBlueprint",
			Summary:     "Create a blueprint",
			Description: "Adds a blueprint to your organization. Without an id one is generated; the built-in ids are taken.",
			Body:        domain.Blueprint{},
			Responses:   responses(created(), body(http.StatusConflict)...),
		}, s.createBlueprint},
		{openapi.Operation{
			Method: "GET", Path: "/api/blueprints/{id}", Tag: "Blueprints", OperationID: "getBlueprint",
			Summary: "Get blueprint details by id",
			Description: "The whole blueprint: paste it as the blueprint of POST /api/workflows. Credentials (destination stream keys, " +
				"passwords, and what URLs carry besides the server) show as ********; a workflow made from it gets the real ones.",
			Params:    []openapi.Param{idParam},
			Responses: responses(ok(domain.Blueprint{}), http.StatusNotFound),
		}, s.getBlueprint},
		{openapi.Operation{
			Method: "PUT", Path: "/api/blueprints/{id}", Tag: "Blueprints", OperationID: "updateBlueprint",
			Summary: "Replace a blueprint",
			Description: "Built-in blueprints are read-only (403). Workflows keep the snapshot they were created with. " +
				"The body may be the blueprint as GET answers it, edited: id and builtIn are read-only (a 400 names them when they differ), " +
				"and a credential sent back as ******** or left out keeps its value while its URL names the same server.",
			Params:    []openapi.Param{idParam},
			Body:      domain.Blueprint{},
			Responses: responses(ok(domain.Blueprint{}), body(http.StatusForbidden, http.StatusNotFound)...),
		}, s.updateBlueprint},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/blueprints/{id}", Tag: "Blueprints", OperationID: "deleteBlueprint",
			Summary:   "Delete a blueprint",
			Params:    []openapi.Param{idParam},
			Responses: responses(noContent(), http.StatusForbidden, http.StatusNotFound),
		}, s.deleteBlueprint},

		{openapi.Operation{
			Method: "POST", Path: "/api/workflows", Tag: "Workflows", OperationID: "createWorkflow",
			Summary:     "Create workflow",
			Description: "Creates a READY workflow from a whole blueprint. Answers with its id.",
			Body:        domain.WorkflowSpec{},
			Responses:   responses(created(), bodyErrs...),
		}, s.createWorkflow},
		{openapi.Operation{
			Method: "GET", Path: "/api/workflows", Tag: "Workflows", OperationID: "listWorkflows",
			Summary: "List workflows",
			Description: "Newest first. tags match all of those given (AND); status matches any (OR); " +
				"search looks for the text in the name or description.",
			Params: []openapi.Param{
				{Name: "tags", In: "query", Type: "string", Description: "Comma-separated tags, or the parameter repeated (tags=a&tags=b); a workflow must have all of them.", Example: "news,sport"},
				{Name: "status", In: "query", Type: "string", Description: "Comma-separated statuses, or the parameter repeated (status=READY&status=DONE); a workflow may have any of them.", Example: "READY,DONE"},
				{Name: "search", In: "query", Type: "string", Description: "Case-insensitive text in the name or description."},
				limitParam, nextParam,
			},
			Responses: responses(ok(WorkflowList{}), http.StatusBadRequest),
		}, s.listWorkflows},
		{openapi.Operation{
			Method: "GET", Path: "/api/workflows/{id}", Tag: "Workflows", OperationID: "getWorkflow",
			Summary:     "Get a workflow",
			Description: "Its blueprint's credentials show as ********.",
			Params:      []openapi.Param{idParam},
			Responses:   responses(ok(domain.Workflow{}), http.StatusNotFound),
		}, s.getWorkflow},
		{openapi.Operation{
			Method: "PUT", Path: "/api/workflows/{id}", Tag: "Workflows", OperationID: "updateWorkflow",
			Summary: "Replace a workflow's settings",
			Description: "Same body as create, or the workflow as GET answers it, edited: its read-only fields (id, status, created, nextRun, ...) " +
				"are ignored when they are as GET shows them, and a 400 names them when they differ. A credential sent back as ******** or left out " +
				"keeps its value while its URL names the same server. Refused with 409 while the workflow is locked (PROVISIONING, STARTING, STOPPING, DELETING) or RUNNING.",
			Params:    []openapi.Param{idParam},
			Body:      domain.WorkflowSpec{},
			Responses: responses(ok(domain.Workflow{}), body(http.StatusNotFound, http.StatusConflict)...),
		}, s.updateWorkflow},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/workflows/{id}", Tag: "Workflows", OperationID: "deleteWorkflow",
			Summary:     "Delete a workflow",
			Description: "Refused with 409 while the workflow is locked or RUNNING.",
			Params:      []openapi.Param{idParam},
			Responses:   responses(noContent(), http.StatusNotFound, http.StatusConflict),
		}, s.deleteWorkflow},
		{openapi.Operation{
			Method: "POST", Path: "/api/workflows/{id}/duplicate", Tag: "Workflows", OperationID: "duplicateWorkflow",
			Summary:     "Duplicate workflow",
			Description: "A new READY workflow with the same settings: the way to run a workflow again.",
			Params:      []openapi.Param{idParam},
			Responses:   responses(created(), http.StatusNotFound),
		}, s.duplicateWorkflow},

		{openapi.Operation{
			Method: "POST", Path: "/api/channels", Tag: "Channels", OperationID: "startChannels",
			Summary: "Start one or more channels",
			Description: "Starts each READY workflow listed. items lists the accepted ones; failed lists the others with the reason. " +
				"Follow the status with GET /api/channels/{workflowId}.",
			Body:      WorkflowIDs{},
			Responses: responses(ok(ChannelsResult{}), bodyErrs...),
		}, s.startChannels},
		{openapi.Operation{
			Method: "DELETE", Path: "/api/channels", Tag: "Channels", OperationID: "stopChannels",
			Summary:     "Stop one or more channels",
			Description: "Stops each listed workflow that is starting or running; a stop during start takes effect once it runs.",
			Body:        WorkflowIDs{},
			Responses:   responses(ok(ChannelsResult{}), bodyErrs...),
		}, s.stopChannels},
		{openapi.Operation{
			Method: "GET", Path: "/api/channels", Tag: "Channels", OperationID: "listChannels",
			Summary: "List channel runs",
			Params: []openapi.Param{
				{Name: "workflowId", In: "query", Type: "string", Description: "Only this workflow's runs."},
				limitParam, nextParam,
			},
			Responses: responses(ok(ChannelList{}), http.StatusBadRequest),
		}, s.listChannels},
		{openapi.Operation{
			Method: "GET", Path: "/api/channels/{workflowId}", Tag: "Channels", OperationID: "getChannel",
			Summary:     "Get channel info",
			Description: "The workflow's current run: status, the four request and actual times, ingest and playback endpoints, archives and cause.",
			Params:      []openapi.Param{workflowIDParam},
			Responses:   responses(ok(ChannelInfo{}), http.StatusNotFound),
		}, s.getChannel},
		{openapi.Operation{
			Method: "GET", Path: "/api/channels/{workflowId}/health", Tag: "Channels", OperationID: "getChannelHealth",
			Summary: "Get the channel's health graphs",
			Description: "The channel's health graphs as PNG images (base64 data URLs), one per metric, each pipeline of a STANDARD channel a line of the same graph, with each line's min, max, mean and latest. " +
				"With format=json the series themselves, {items:[{metric, unit, aggregation, pipeline, label, points:[{t, value}]}]}, each value its period's own (a sum for counts, a mean for rates). " +
				"The history is kept a point a second for 15 minutes, 10 s for a run's life and 1 min for 30 days.",
			Params:    append([]openapi.Param{workflowIDParam, healthMetricsParam, healthFormatParam}, healthParams...),
			Responses: responses(ok(HealthCharts{}), http.StatusBadRequest, http.StatusNotFound),
		}, s.channelHealth},
		{openapi.Operation{
			Method: "GET", Path: "/api/channels/{workflowId}/health/{file}", Tag: "Channels", OperationID: "getChannelHealthImage",
			Summary:     "Get one health graph as an image",
			Description: "One metric's graph as image/png: the path's last segment is the metric with .png, such as NetworkIn.png. It takes the health graphs' parameters.",
			Params: append([]openapi.Param{workflowIDParam,
				{Name: "file", In: "path", Description: "The metric and .png: NetworkIn.png.", Example: "NetworkIn.png"}}, healthParams...),
			Responses: append([]openapi.Response{{Status: http.StatusOK, Description: "The graph.", ContentType: "image/png"}},
				errs(http.StatusBadRequest, http.StatusNotFound)...),
		}, s.channelHealthImage},

		{openapi.Operation{
			Method: "GET", Path: "/api/regions", Tag: "Regions", OperationID: "listRegions",
			Summary:   "List available regions",
			Responses: responses(ok(RegionList{})),
		}, s.listRegions},
	}
	rts = append(rts, s.scheduleRoutes()...)
	rts = append(rts, s.identityRoutes()...)
	rts = append(rts, s.streamRoutes()...)
	rts = append(rts, s.splitRoute())
	rts = append(rts, s.provisionRoutes()...)
	rts = append(rts, s.playoutRoutes()...)
	return append(rts, s.managedInputRoutes()...)
}
