// Package openapi writes the OpenAPI 3.1 document of an HTTP API from a
// description in Go: the operations, and the Go types of their bodies, whose
// schemas it derives by reflection with encoding/json's rules. The API package
// keeps one route table that both registers its handlers and feeds Build, so
// the document cannot drift from the code.
package openapi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Spec describes an API to document.
type Spec struct {
	Title, Version, Description string
	// Tags groups operations, in display order. Every Operation.Tag must be
	// one of them.
	Tags       []Tag
	Operations []Operation
	// SecuritySchemes names the ways to authenticate, such as an API key
	// header or a bearer JWT. It may be empty.
	SecuritySchemes map[string]SecurityScheme
	// Security is the requirement of every operation that is not Public: each
	// map is one alternative, naming schemes that must all be satisfied.
	// nil means none.
	Security []map[string][]string
}

// Tag is a group of operations, shown as a section of the documentation.
type Tag struct{ Name, Description string }

// SecurityScheme is one way to authenticate.
type SecurityScheme struct {
	Type         string // "apiKey" or "http"
	Name, In     string // for apiKey: the header or query parameter name, and "header", "query" or "cookie"
	Scheme       string // for http: "bearer" or "basic"
	BearerFormat string // for http bearer, a hint such as "JWT"
	Description  string
}

// Operation is one method on one path, e.g. Method "GET", Path
// "/api/workflows/{id}". A ServeMux wildcard "{path...}" is written as
// "{path}" and a trailing "{$}" is dropped, so a route's mux pattern may be
// given as it is.
type Operation struct {
	Method, Path, Tag, Summary, Description string
	// OperationID names the operation for client generators; when empty it is
	// made from the method and the path: "getApiWorkflowsById".
	OperationID string
	Params      []Param
	// Body is a value, usually the zero value, of the request body's type,
	// or nil when the request has no body.
	Body      any
	Responses []Response
	// Public operations need no authentication: their security is [], which
	// overrides Spec.Security.
	Public bool
	// Security, when not nil, is the operation's own requirement instead of
	// Spec.Security, in the same form: for an operation that takes another
	// credential, such as a metrics token.
	Security []map[string][]string
}

// Param is a path, query or header parameter.
type Param struct {
	Name, Description string
	In                string // "path", "query", "header" or "cookie"
	// Required is implied for path parameters.
	Required bool
	Type     string // "string" (when empty), "integer", "number" or "boolean"
	Enum     []string
	Example  string
}

// Response is one possible answer of an operation.
type Response struct {
	Status int
	// Description defaults to the status text, such as "Not Found".
	Description string
	// Body is a value of the response body's type, or nil for no body.
	Body any
	// ContentType defaults to application/json. A ContentType given with a
	// nil Body documents a body of that type with no schema.
	ContentType string
}

const jsonContentType = "application/json"

// Build returns the OpenAPI 3.1 document of s as indented JSON, the same
// bytes for the same spec. It fails on an inconsistent spec, listing every
// problem it finds: a {param} in a path without its path Param or the
// reverse, a duplicate method and path or operationId, an operation without
// responses, an undeclared tag or security scheme, or a body type that
// encoding/json cannot write.
func Build(s Spec) ([]byte, error) {
	doc, err := build(s)
	if err != nil {
		return nil, err
	}
	return encode(doc, "  ")
}

func build(s Spec) (*document, error) {
	var errs []error
	if s.Title == "" || s.Version == "" {
		errs = append(errs, errors.New("spec: Title and Version are required"))
	}
	doc := &document{
		OpenAPI:  "3.1.0",
		Info:     info{Title: s.Title, Version: s.Version, Description: s.Description},
		Paths:    &ordered[*ordered[*operation]]{},
		Security: requirements(s.Security),
	}

	tags := map[string]bool{}
	for _, t := range s.Tags {
		if t.Name == "" || tags[t.Name] {
			errs = append(errs, fmt.Errorf("spec: tag %q is empty or declared twice", t.Name))
		}
		tags[t.Name] = true
		doc.Tags = append(doc.Tags, tagObject(t))
	}

	for _, name := range slices.Sorted(maps.Keys(s.SecuritySchemes)) {
		sc, err := securityScheme(s.SecuritySchemes[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("spec: security scheme %q: %w", name, err))
			continue
		}
		if doc.Components.SecuritySchemes == nil {
			doc.Components.SecuritySchemes = map[string]securitySchemeObject{}
		}
		doc.Components.SecuritySchemes[name] = sc
	}
	undeclared := func(where string, reqs []map[string][]string) {
		for _, req := range reqs {
			for _, name := range slices.Sorted(maps.Keys(req)) {
				if _, ok := s.SecuritySchemes[name]; !ok {
					errs = append(errs, fmt.Errorf("%s: security requirement names undeclared scheme %q", where, name))
				}
			}
		}
	}
	undeclared("spec", s.Security)
	for _, op := range s.Operations {
		undeclared(op.Method+" "+op.Path, op.Security)
	}

	g := newGenerator()
	routes := map[string]string{} // "get /a/{}" -> the operation that has it
	ids := map[string]string{}
	for _, op := range s.Operations {
		o, route, err := buildOperation(g, op, tags)
		where := op.Method + " " + op.Path
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if other, ok := routes[route.key]; ok {
			errs = append(errs, fmt.Errorf("%s: same method and path as %s", where, other))
			continue
		}
		routes[route.key] = where
		if other, ok := ids[o.OperationID]; ok {
			errs = append(errs, fmt.Errorf("%s: operationId %q already used by %s", where, o.OperationID, other))
			continue
		}
		ids[o.OperationID] = where
		item, ok := doc.Paths.get(route.path)
		if !ok {
			item = &ordered[*operation]{}
			doc.Paths.set(route.path, item)
		}
		item.set(route.method, o)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	doc.Components.Schemas = g.finish()
	return doc, nil
}

// requirements writes security requirements with [] rather than null for a
// scheme without scopes, as OpenAPI wants.
func requirements(in []map[string][]string) []map[string][]string {
	var out []map[string][]string
	for _, req := range in {
		r := map[string][]string{}
		for name, scopes := range req {
			if scopes == nil {
				scopes = []string{}
			}
			r[name] = scopes
		}
		out = append(out, r)
	}
	return out
}

func securityScheme(s SecurityScheme) (securitySchemeObject, error) {
	o := securitySchemeObject{Type: s.Type, Description: s.Description}
	switch s.Type {
	case "apiKey":
		if s.Name == "" || (s.In != "header" && s.In != "query" && s.In != "cookie") {
			return o, errors.New(`apiKey needs a Name and In "header", "query" or "cookie"`)
		}
		o.Name, o.In = s.Name, s.In
	case "http":
		if s.Scheme == "" {
			return o, errors.New(`http needs a Scheme such as "bearer"`)
		}
		o.Scheme, o.BearerFormat = s.Scheme, s.BearerFormat
	default:
		return o, fmt.Errorf(`type %q is not "apiKey" or "http"`, s.Type)
	}
	return o, nil
}
