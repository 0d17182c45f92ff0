package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"onair/internal/domain"
)

// A provision's meta object in the Red5 Pro Stream Manager's shape: what its
// clients send and read back. The domain value is stored in its own form;
// only this facade knows that level and qos may come as numeric strings,
// that restricted is answered in the form it was given, and that the root
// properties onair does not know sit beside the ones it does.

// red5Property is a variant property's Stream Manager name and the field of
// domain.VariantProperties it sets.
type red5Property struct {
	name string
	get  func(*domain.VariantProperties) *int
}

// red5Properties are the variant properties onair encodes with.
var red5Properties = []red5Property{
	{"videoWidth", func(v *domain.VariantProperties) *int { return &v.VideoWidth }},
	{"videoHeight", func(v *domain.VariantProperties) *int { return &v.VideoHeight }},
	{"videoBR", func(v *domain.VariantProperties) *int { return &v.VideoBR }},
	{"videoFPS", func(v *domain.VariantProperties) *int { return &v.VideoFPS }},
}

// ProvisionAuth is a provision's authentication as the Stream Manager sends
// and answers it. (Its name shows in the messages of type errors.)
type ProvisionAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// red5Variant is one variant as the Stream Manager answers it: level a
// number, properties always an object.
type red5Variant struct {
	Name       string           `json:"name"`
	Level      int              `json:"level"`
	Properties red5VariantProps `json:"properties"`
}

// red5VariantProps are a variant's properties in the Stream Manager's
// order, the unset ones left out.
type red5VariantProps struct {
	VideoWidth  int `json:"videoWidth,omitempty"`
	VideoHeight int `json:"videoHeight,omitempty"`
	VideoBR     int `json:"videoBR,omitempty"`
	VideoFPS    int `json:"videoFPS,omitempty"`
}

// red5Georules is georules as the Stream Manager answers it: regions always
// a list, restricted a boolean or "true"/"false", as it was given.
type red5Georules struct {
	Regions    []string `json:"regions"`
	Restricted any      `json:"restricted"`
}

// fieldProblems collects the field errors of a meta object as it is read.
type fieldProblems []domain.FieldError

func (p *fieldProblems) add(field, format string, args ...any) {
	*p = append(*p, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err is the problems as a *domain.ValidationError, nil without any.
func (p fieldProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &domain.ValidationError{Errors: p}
}

// ParseProvisionMeta reads a meta object, taking level and qos as numbers or
// numeric strings and restricted as a boolean or "true"/"false", as the
// Stream Manager's documents give them; the root properties it does not know
// are kept in Extra as they were sent. Type errors name their field under
// meta, in a *domain.ValidationError. It does not validate values:
// ProvisionMeta.Validate does.
func ParseProvisionMeta(raw []byte) (domain.ProvisionMeta, error) {
	var m domain.ProvisionMeta
	var p fieldProblems
	var root map[string]json.RawMessage
	if err := json.Unmarshal(raw, &root); err != nil || root == nil {
		p.add("meta", "must be a JSON object")
		return m, p.err()
	}
	for k, v := range root {
		switch k {
		case "authentication":
			if isNull(v) {
				continue
			}
			var a ProvisionAuth
			if err := strictObject(v, &a); err != nil {
				p.add("meta.authentication", "must be an object with username and password strings: %v", err)
				continue
			}
			m.Authentication = &domain.ProvisionAuth{Username: a.Username, Password: a.Password}
		case "stream":
			if isNull(v) {
				continue
			}
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				p.add("meta.stream", "must be an array of variants")
				continue
			}
			m.Stream = make([]domain.ProvisionVariant, len(list))
			for i, item := range list {
				m.Stream[i] = parseVariant(&p, fmt.Sprintf("meta.stream[%d]", i), item)
			}
		case "georules":
			if isNull(v) {
				continue
			}
			m.Georules = parseGeorules(&p, v)
		case "qos":
			if isNull(v) {
				continue
			}
			if n, ok := flexInt(v); ok {
				m.Qos = &n
			} else {
				p.add("meta.qos", "must be a number (or a numeric string), got %s", v)
			}
		default:
			if m.Extra == nil {
				m.Extra = map[string]json.RawMessage{}
			}
			m.Extra[k] = v
		}
	}
	return m, p.err()
}

func parseVariant(p *fieldProblems, at string, raw json.RawMessage) domain.ProvisionVariant {
	var v domain.ProvisionVariant
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		p.add(at, "must be an object with name, level and properties")
		return v
	}
	for k, f := range obj {
		switch k {
		case "name":
			if err := json.Unmarshal(f, &v.Name); err != nil {
				p.add(at+".name", "must be a string")
			}
		case "level":
			n, ok := flexInt(f)
			if !ok {
				p.add(at+".level", "must be a number (or a numeric string), got %s", f)
			}
			v.Level = n
		case "properties":
			if isNull(f) {
				continue
			}
			var props map[string]json.RawMessage
			if err := json.Unmarshal(f, &props); err != nil {
				p.add(at+".properties", "must be an object")
				continue
			}
			for name, val := range props {
				i := slices.IndexFunc(red5Properties, func(rp red5Property) bool { return rp.name == name })
				if i < 0 {
					p.add(at+".properties."+name, "is not a property onair encodes with: use videoWidth, videoHeight, videoBR and videoFPS")
					continue
				}
				n, ok := flexInt(val)
				if !ok {
					p.add(at+".properties."+name, "must be an integer, got %s", val)
				}
				*red5Properties[i].get(&v.Properties) = n
			}
		default:
			p.add(at+"."+k, "is not a variant field: a variant has name, level and properties")
		}
	}
	return v
}

func parseGeorules(p *fieldProblems, raw json.RawMessage) *domain.Georules {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		p.add("meta.georules", "must be an object with regions and restricted")
		return nil
	}
	g := &domain.Georules{}
	for k, f := range obj {
		switch k {
		case "regions":
			if err := json.Unmarshal(f, &g.Regions); err != nil {
				p.add("meta.georules.regions", "must be an array of region codes, such as [\"US\"]")
			}
		case "restricted":
			var b bool
			var s string
			switch {
			case json.Unmarshal(f, &b) == nil:
				g.Restricted = b
			case json.Unmarshal(f, &s) == nil && (s == "true" || s == "false"):
				g.Restricted, g.RestrictedText = s == "true", true
			default:
				p.add("meta.georules.restricted", "must be true or false (or \"true\" or \"false\"), got %s", f)
			}
		default:
			p.add("meta.georules."+k, "is not a georules field: georules has regions and restricted")
		}
	}
	return g
}

// flexInt reads an integer given as a JSON number or a numeric string.
func flexInt(raw json.RawMessage) (int, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(strings.TrimSpace(s))
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	return n, err == nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func strictObject(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// RenderProvisionMeta writes meta in the Stream Manager's shape, as its
// clients read it and ParseProvisionMeta reads it back: level and qos as
// numbers, restricted in the form it was given, the properties of Extra
// beside the others at the root.
func RenderProvisionMeta(m domain.ProvisionMeta) (json.RawMessage, error) {
	out := map[string]any{}
	for k, v := range m.Extra {
		out[k] = v
	}
	if a := m.Authentication; a != nil {
		out["authentication"] = ProvisionAuth{Username: a.Username, Password: a.Password}
	}
	if m.Stream != nil {
		variants := make([]red5Variant, len(m.Stream))
		for i, v := range m.Stream {
			pr := v.Properties
			variants[i] = red5Variant{Name: v.Name, Level: v.Level, Properties: red5VariantProps{
				VideoWidth: pr.VideoWidth, VideoHeight: pr.VideoHeight, VideoBR: pr.VideoBR, VideoFPS: pr.VideoFPS,
			}}
		}
		out["stream"] = variants
	}
	if g := m.Georules; g != nil {
		r := red5Georules{Regions: g.Regions, Restricted: g.Restricted}
		if g.RestrictedText {
			r.Restricted = strconv.FormatBool(g.Restricted)
		}
		if r.Regions == nil {
			r.Regions = []string{}
		}
		out["georules"] = r
	}
	if m.Qos != nil {
		out["qos"] = *m.Qos
	}
	return json.Marshal(out)
}
