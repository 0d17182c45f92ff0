package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The objects of the document, in the order OpenAPI lists their fields.
type (
	document struct {
		OpenAPI    string                         `json:"openapi"`
		Info       info                           `json:"info"`
		Tags       []tagObject                    `json:"tags,omitempty"`
		Paths      *ordered[*ordered[*operation]] `json:"paths"`
		Components components                     `json:"components"`
		Security   []map[string][]string          `json:"security,omitempty"`
	}
	info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description,omitempty"`
	}
	tagObject struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
	}
	components struct {
		Schemas         map[string]*schema              `json:"schemas"`
		SecuritySchemes map[string]securitySchemeObject `json:"securitySchemes,omitempty"`
	}
	securitySchemeObject struct {
		Type         string `json:"type"`
		Description  string `json:"description,omitempty"`
		Name         string `json:"name,omitempty"`
		In           string `json:"in,omitempty"`
		Scheme       string `json:"scheme,omitempty"`
		BearerFormat string `json:"bearerFormat,omitempty"`
	}
	operation struct {
		Tags        []string               `json:"tags,omitempty"`
		Summary     string                 `json:"summary,omitempty"`
		Description string                 `json:"description,omitempty"`
		OperationID string                 `json:"operationId"`
		Parameters  []parameter            `json:"parameters,omitempty"`
		RequestBody *requestBody           `json:"requestBody,omitempty"`
		Responses   map[string]response    `json:"responses"`
		Security    *[]map[string][]string `json:"security,omitempty"` // &[] for a public operation
	}
	parameter struct {
		Name        string  `json:"name"`
		In          string  `json:"in"`
		Description string  `json:"description,omitempty"`
		Required    bool    `json:"required,omitempty"`
		Schema      *schema `json:"schema"`
		Example     any     `json:"example,omitempty"`
	}
	requestBody struct {
		Required bool                 `json:"required"`
		Content  map[string]mediaType `json:"content"`
	}
	response struct {
		Description string               `json:"description"`
		Content     map[string]mediaType `json:"content,omitempty"`
	}
	mediaType struct {
		Schema *schema `json:"schema,omitempty"`
	}
)

// route is where an operation sits in the document.
type route struct {
	method string // lower case, as a key of a path item
	path   string // OpenAPI path template
	key    string // method and path with parameter names blanked, to find duplicates as ServeMux would
}

var (
	methods = map[string]bool{
		http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
		http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true, http.MethodTrace: true,
	}
	pathParam = regexp.MustCompile(`\{([^{}]*)\}`)
)

// buildOperation checks op and writes its object, adding its body types to g.
func buildOperation(g *generator, op Operation, tags map[string]bool) (*operation, route, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !methods[op.Method] {
		fail("method %q is not an upper-case HTTP method", op.Method)
	}
	r, inPath, err := parsePath(op.Method, op.Path)
	if err != nil {
		errs = append(errs, err)
	}
	o := &operation{
		Summary:     op.Summary,
		Description: op.Description,
		OperationID: op.OperationID,
		Responses:   map[string]response{},
	}
	if o.OperationID == "" {
		o.OperationID = operationID(op.Method, r.path)
	}
	if op.Tag != "" {
		if !tags[op.Tag] {
			fail("tag %q is not declared in Spec.Tags", op.Tag)
		}
		o.Tags = []string{op.Tag}
	}
	switch {
	case op.Public:
		o.Security = &[]map[string][]string{}
	case op.Security != nil:
		own := requirements(op.Security)
		o.Security = &own
	}

	declared := map[string]bool{}
	for _, p := range op.Params {
		param, err := buildParam(p)
		if err != nil {
			fail("parameter %q: %w", p.Name, err)
			continue
		}
		if declared[p.In+" "+p.Name] {
			fail("parameter %q in %s declared twice", p.Name, p.In)
		}
		declared[p.In+" "+p.Name] = true
		if p.In == "path" && !inPath[p.Name] {
			fail("path parameter %q is not in the path", p.Name)
		}
		o.Parameters = append(o.Parameters, param)
	}
	for name := range inPath {
		if !declared["path "+name] {
			fail("{%s} in the path has no path parameter", name)
		}
	}

	if op.Body != nil {
		s, err := g.bodySchema(op.Body)
		if err != nil {
			fail("request body: %w", err)
		}
		o.RequestBody = &requestBody{Required: true, Content: map[string]mediaType{jsonContentType: {Schema: s}}}
	}
	if len(op.Responses) == 0 {
		fail("no responses")
	}
	for _, resp := range op.Responses {
		key := strconv.Itoa(resp.Status)
		if resp.Status < 100 || resp.Status > 599 {
			fail("response status %d is not an HTTP status", resp.Status)
			continue
		}
		if _, ok := o.Responses[key]; ok {
			fail("response %d given twice", resp.Status)
			continue
		}
		out := response{Description: resp.Description}
		if out.Description == "" {
			out.Description = http.StatusText(resp.Status)
		}
		ct := resp.ContentType
		if ct == "" && resp.Body != nil {
			ct = jsonContentType
		}
		if ct != "" {
			var m mediaType
			if resp.Body != nil {
				if m.Schema, err = g.bodySchema(resp.Body); err != nil {
					fail("response %d body: %w", resp.Status, err)
				}
			}
			out.Content = map[string]mediaType{ct: m}
		}
		o.Responses[key] = out
	}
	return o, r, errors.Join(errs...)
}

// parsePath turns a path, possibly a ServeMux pattern's, into an OpenAPI path
// template and returns the names of its parameters.
func parsePath(method, p string) (route, map[string]bool, error) {
	p = strings.TrimSuffix(p, "{$}")
	if !strings.HasPrefix(p, "/") {
		return route{}, nil, fmt.Errorf("path %q does not start with /", p)
	}
	names := map[string]bool{}
	var errs []error
	path := pathParam.ReplaceAllStringFunc(p, func(m string) string {
		name := strings.TrimSuffix(m[1:len(m)-1], "...")
		if name == "" || names[name] {
			errs = append(errs, fmt.Errorf("path %q: parameter {%s} is empty or repeated", p, name))
		}
		names[name] = true
		return "{" + name + "}"
	})
	key := strings.ToLower(method) + " " + pathParam.ReplaceAllString(path, "{}")
	return route{method: strings.ToLower(method), path: path, key: key}, names, errors.Join(errs...)
}

func buildParam(p Param) (parameter, error) {
	out := parameter{Name: p.Name, In: p.In, Description: p.Description, Required: p.Required}
	switch p.In {
	case "path":
		out.Required = true
	case "query", "header", "cookie":
	default:
		return out, fmt.Errorf(`in %q is not "path", "query", "header" or "cookie"`, p.In)
	}
	if p.Name == "" {
		return out, errors.New("no name")
	}
	typ := p.Type
	if typ == "" {
		typ = "string"
	}
	switch typ {
	case "string", "integer", "number", "boolean":
	default:
		return out, fmt.Errorf("type %q is not string, integer, number or boolean", p.Type)
	}
	out.Schema = &schema{Type: typ}
	if len(p.Enum) > 0 {
		if typ == "boolean" {
			return out, errors.New("enum on a boolean")
		}
		enum, err := parseValues(typ, p.Enum)
		if err != nil {
			return out, fmt.Errorf("enum: %w", err)
		}
		out.Schema.Enum = enum
	}
	if p.Example != "" {
		ex, err := parseExample(typ, p.Example)
		if err != nil {
			return out, fmt.Errorf("example: %w", err)
		}
		out.Example = ex
	}
	return out, nil
}

// operationID makes a camelCase id from the method and the path:
// GET /api/workflows/{id}/runs -> getApiWorkflowsByIdRuns.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for seg := range strings.SplitSeq(path, "/") {
		if strings.HasPrefix(seg, "{") {
			b.WriteString("By")
		}
		for word := range strings.FieldsFuncSeq(seg, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			rs := []rune(word)
			b.WriteString(string(unicode.ToUpper(rs[0])) + string(rs[1:]))
		}
	}
	return b.String()
}
