package server

import (
	"net/http"

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
		{Method: "GET", Path: "/metrics", Tag: "Operations", OperationID: "metrics", Public: true,
			Summary:   "Prometheus metrics",
			Responses: []openapi.Response{text("text/plain")}},
		{Method: "GET", Path: "/openapi.json", Tag: "Operations", OperationID: "openapi", Public: true,
			Summary:   "This API reference, as OpenAPI 3.1",
			Responses: []openapi.Response{{Status: http.StatusOK, Description: "OK", Body: map[string]any{}}}},
		{Method: "GET", Path: "/docs/", Tag: "Operations", OperationID: "docs", Public: true,
			Summary:   "The API reference, rendered",
			Responses: []openapi.Response{text("text/html")}},
	}
}
