package openapi

import (
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// field is one member of a struct's JSON object.
type field struct {
	name     string // JSON name
	goName   string // for error messages
	typ      reflect.Type
	tag      reflect.StructTag
	required bool
	quoted   bool // the ",string" option

	depth  int   // how deep in embedded structs it was found
	tagged bool  // its JSON name came from a tag
	index  []int // position, for encoding/json's field order
}

// jsonFields lists the fields encoding/json writes for the struct type t, in
// its order and with its rules: embedded structs without a name in their tag
// are flattened, the shallowest field wins a name, a tagged field wins among
// equals, and a name still ambiguous is dropped.
func jsonFields(t reflect.Type) []field {
	type embedded struct {
		typ        reflect.Type
		index      []int
		viaPointer bool // reached through an embedded pointer, which may be nil
	}
	var all []field
	next := []embedded{{typ: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, e := range current {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true
			for i := range e.typ.NumField() {
				sf := e.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(e.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, embedded{
						typ:        ft,
						index:      index,
						viaPointer: e.viaPointer || sf.Type.Kind() == reflect.Pointer,
					})
					continue
				}
				optional := hasOption(opts, "omitempty") || hasOption(opts, "omitzero") ||
					sf.Type.Kind() == reflect.Pointer || e.viaPointer
				f := field{
					name:     name,
					goName:   sf.Name,
					typ:      sf.Type,
					tag:      sf.Tag,
					required: !optional,
					quoted:   hasOption(opts, "string") && quotable(ft.Kind()),
					depth:    depth,
					tagged:   name != "",
					index:    index,
				}
				if f.name == "" {
					f.name = sf.Name
				}
				all = append(all, f)
			}
		}
	}
	return dominant(all)
}

// FieldIndex maps the JSON name of each field that encoding/json writes for
// the struct type t to its index, for reflect.Value.FieldByIndex: what the API
// uses to tell which fields of a request body a type holds.
func FieldIndex(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for _, f := range jsonFields(t) {
		out[f.name] = f.index
	}
	return out
}

// dominant keeps, for each JSON name, the one field encoding/json would write.
func dominant(all []field) []field {
	byName := map[string][]field{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []field
	for _, fs := range byName {
		minDepth := slices.MinFunc(fs, func(a, b field) int { return a.depth - b.depth }).depth
		var shallow, tagged []field
		for _, f := range fs {
			if f.depth == minDepth {
				shallow = append(shallow, f)
				if f.tagged {
					tagged = append(tagged, f)
				}
			}
		}
		switch {
		case len(shallow) == 1:
			out = append(out, shallow[0])
		case len(tagged) == 1:
			out = append(out, tagged[0])
		}
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return out
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

func quotable(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// validTagName follows encoding/json: a tag name with other characters is
// ignored and the Go field name is used instead.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
