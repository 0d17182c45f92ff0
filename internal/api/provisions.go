package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"onair/internal/domain"
	"onair/internal/openapi"
)

// The Stream Manager API (Red5 Pro), at exactly its documented path, so that
// its clients work by changing only the host. Provisions are stored here; what
// they do (a publisher starting a run, georules) is the provision package's.
// Every answer is the document's: {name, scope, data: {meta}, updated} with
// updated in epoch milliseconds, and every failure {errorMessage, timestamp}
// under 400 or 404, authentication included.

// provisionBase is the Stream Manager's provision path.
const provisionBase = "/streammanager/api/4.0/admin/event/meta"

// red5Operations are the Stream Manager's: ?accessToken= authenticates
// them too, and their errors are in its shape.
var red5Operations = map[string]bool{
	"createProvision": true, "listProvisions": true, "getProvision": true, "updateProvision": true, "deleteProvision": true,
}

// aliases are other mux patterns an operation serves, undocumented.
var aliases = map[string]string{
	"listProvisions": "GET " + provisionBase + "/{$}", // the document's list URI ends in a slash
}

// ProvisionBody is what create and update take.
type ProvisionBody struct {
	Meta json.RawMessage `json:"meta" doc:"The provision: authentication {username, password}, stream (the variants: name, level (1 is the highest), properties {videoWidth, videoHeight, videoBR, videoFPS}), georules {regions, restricted} and qos (3). level and qos may be numeric strings, restricted \"true\" or \"false\"."`
}

// ProvisionInfo is a provision as the Stream Manager answers it.
type ProvisionInfo struct {
	Name    string        `json:"name" doc:"The stream name."`
	Scope   string        `json:"scope" doc:"The scope (the RTMP application)."`
	Data    ProvisionData `json:"data"`
	Updated int64         `json:"updated" doc:"When it last changed, in milliseconds since the epoch."`
}

// ProvisionData holds the meta object, or the one root property of it that
// ?key= asked for, as RenderProvisionMeta writes them.
type ProvisionData map[string]json.RawMessage

// Red5Error is the Stream Manager's failure body.
type Red5Error struct {
	ErrorMessage string `json:"errorMessage"`
	Timestamp    int64  `json:"timestamp" doc:"Milliseconds since the epoch."`
}

func (s *Server) provisionRoutes() []route {
	const tag = "Provisions"
	scope := openapi.Param{Name: "scopeName", In: "path", Required: true, Description: "The scope: the RTMP application publishers push to (rtmp://host/<scope>/<stream>)."}
	stream := openapi.Param{Name: "streamName", In: "path", Required: true, Description: "The stream name."}
	token := openapi.Param{Name: "accessToken", In: "query", Description: "An API key or an idToken; the x-api-key and Authorization headers work too."}
	key := openapi.Param{Name: "key", In: "query", Description: "Answer only this root property of meta, such as authentication; 404 when meta has none of that name."}
	answer := func(status int, extra ...int) []openapi.Response {
		out := []openapi.Response{{Status: status, Description: http.StatusText(status), Body: ProvisionInfo{}}}
		for _, c := range append([]int{http.StatusBadRequest, http.StatusNotFound}, extra...) {
			out = append(out, openapi.Response{Status: c, Description: http.StatusText(c), Body: Red5Error{}})
		}
		return out
	}
	one := provisionBase + "/{scopeName}/{streamName}"
	return []route{
		{openapi.Operation{
			Method: "POST", Path: one, Tag: tag, OperationID: "createProvision",
			Summary: "Create a stream provision",
			Description: "A publisher to rtmp://<host>/<scope>/<stream> then starts a channel by itself. The document's own examples, trailing commas " +
				"included, are accepted as they are. A scope and stream (or variant) name is one provision's across the server: a taken one is a 400.",
			Params: []openapi.Param{scope, stream, token}, Body: ProvisionBody{},
			Responses: answer(http.StatusCreated),
		}, s.createProvision},
		{openapi.Operation{
			Method: "GET", Path: provisionBase, Tag: tag, OperationID: "listProvisions",
			Summary: "List stream provisions", Description: "A JSON array of provisions; the path with a trailing slash answers the same.",
			Params:    []openapi.Param{token},
			Responses: []openapi.Response{{Status: http.StatusOK, Description: "OK", Body: []ProvisionInfo{}}, {Status: http.StatusBadRequest, Body: Red5Error{}}},
		}, s.listProvisions},
		{openapi.Operation{
			Method: "GET", Path: one, Tag: tag, OperationID: "getProvision",
			Summary: "Read a stream provision, or one property of its meta",
			Params:  []openapi.Param{scope, stream, token, key}, Responses: answer(http.StatusOK),
		}, s.getProvision},
		{openapi.Operation{
			Method: "PUT", Path: one, Tag: tag, OperationID: "updateProvision",
			Summary: "Replace a stream provision",
			Description: "Credentials and georules apply at once; the ladder at the next publish. A live run goes on as it started, " +
				"until its publisher has been gone for the grace period.",
			Params: []openapi.Param{scope, stream, token}, Body: ProvisionBody{},
			Responses: answer(http.StatusOK),
		}, s.updateProvision},
		{openapi.Operation{
			Method: "DELETE", Path: one, Tag: tag, OperationID: "deleteProvision",
			Summary: "Delete a stream provision",
			Description: "Answers what it was. New publishes to its path are refused; a live run ends when its publisher leaves. " +
				"Its workflows stay, with their runs and archives.",
			Params: []openapi.Param{scope, stream, token}, Responses: answer(http.StatusOK),
		}, s.deleteProvision},
	}
}

// provisionInfo is p as the Stream Manager answers it.
func provisionInfo(p domain.Provision) (ProvisionInfo, error) {
	meta, err := RenderProvisionMeta(p.Meta)
	if err != nil {
		return ProvisionInfo{}, err
	}
	return ProvisionInfo{Name: p.Name, Scope: p.Scope, Data: ProvisionData{"meta": meta}, Updated: p.Updated.UnixMilli()}, nil
}

func (s *Server) listProvisions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Store.ListProvisions(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	out := make([]ProvisionInfo, len(list))
	for i, p := range list {
		if out[i], err = provisionInfo(p); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getProvision(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Store.GetProvision(r.Context(), s.org(r), r.PathValue("scopeName"), r.PathValue("streamName"))
	if err != nil {
		return err
	}
	info, err := provisionInfo(p)
	if err != nil {
		return err
	}
	if q := r.URL.Query(); q.Has("key") {
		key := q.Get("key")
		var root map[string]json.RawMessage
		if err := json.Unmarshal(info.Data["meta"], &root); err != nil {
			return err
		}
		v, ok := root[key]
		if !ok {
			return &domain.NotFoundError{Kind: "meta property", ID: key}
		}
		info.Data = ProvisionData{key: v}
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (s *Server) createProvision(w http.ResponseWriter, r *http.Request) error {
	scope, name := r.PathValue("scopeName"), r.PathValue("streamName")
	if err := domain.ValidProvisionPath(scope, name); err != nil {
		return err
	}
	meta, err := readProvision(w, r, name)
	if err != nil {
		return err
	}
	now := s.now()
	p := domain.Provision{OrgID: s.org(r), Scope: scope, Name: name, Meta: meta, Created: now, Updated: now, Workflows: map[string]string{}}
	if err := s.Store.CreateProvision(r.Context(), p); err != nil {
		return err
	}
	return writeProvision(w, http.StatusCreated, p)
}

func (s *Server) updateProvision(w http.ResponseWriter, r *http.Request) error {
	scope, name := r.PathValue("scopeName"), r.PathValue("streamName")
	if _, err := s.Store.GetProvision(r.Context(), s.org(r), scope, name); err != nil {
		return err // a 404 before any complaint about the body
	}
	meta, err := readProvision(w, r, name)
	if err != nil {
		return err
	}
	now := s.now()
	p, err := s.Store.UpdateProvision(r.Context(), s.org(r), scope, name, func(p *domain.Provision) error {
		p.Meta, p.Updated = meta, now
		return nil
	})
	if err != nil {
		return err
	}
	return writeProvision(w, http.StatusOK, p)
}

func (s *Server) deleteProvision(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Store.DeleteProvision(r.Context(), s.org(r), r.PathValue("scopeName"), r.PathValue("streamName"))
	if err != nil {
		return err
	}
	return writeProvision(w, http.StatusOK, p)
}

// writeProvision answers p with status.
func writeProvision(w http.ResponseWriter, status int, p domain.Provision) error {
	info, err := provisionInfo(p)
	if err != nil {
		return err
	}
	writeJSON(w, status, info)
	return nil
}

// readProvision reads and validates a create or update body: one JSON
// object with meta, as the document writes it, trailing commas included.
// A body without a Content-Type is taken as JSON, as the Stream Manager does.
func readProvision(w http.ResponseWriter, r *http.Request, streamName string) (domain.ProvisionMeta, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return domain.ProvisionMeta{}, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "text/plain") {
			return domain.ProvisionMeta{}, badRequest("", "Content-Type must be application/json, got %q", ct)
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return domain.ProvisionMeta{}, badRequest("", "the request body is empty; it must be a JSON object with meta")
	}
	obj, err := jsonObject(StripTrailingCommas(raw))
	if err != nil {
		return domain.ProvisionMeta{}, err
	}
	var body ProvisionBody
	if err := unmarshal(obj, &body); err != nil {
		return domain.ProvisionMeta{}, err
	}
	if len(body.Meta) == 0 {
		return domain.ProvisionMeta{}, badRequest("meta", "is required: the provision's settings")
	}
	meta, err := ParseProvisionMeta(body.Meta)
	if err != nil {
		return meta, err
	}
	return meta, meta.Validate(streamName)
}

// StripTrailingCommas drops each comma that only white space separates
// from the '}' or ']' after it, outside strings: the Stream Manager's
// examples have them ("videoFPS": 15, before '}'), and a verbatim paste of
// them must work. Anything else is left as it is for the JSON parser to
// judge.
func StripTrailingCommas(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			out = append(out, c)
			continue
		}
		if c == '"' {
			inString = true
		}
		if c == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// writeRed5Error answers a Stream Manager request's failure in its shape:
// 404 for what does not exist, 400 for every other refusal (authentication
// too), 500 for the server's own trouble.
func (s *Server) writeRed5Error(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorStatus(err)
	switch {
	case status == http.StatusInternalServerError:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case status != http.StatusNotFound:
		status = http.StatusBadRequest
	}
	msg := body.Message
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		msg = ve.Error()
	}
	writeJSON(w, status, Red5Error{ErrorMessage: msg, Timestamp: s.now().UnixMilli()})
}
