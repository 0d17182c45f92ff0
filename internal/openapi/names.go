package openapi

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

const schemaRefPrefix = "#/components/schemas/"

var (
	// qualifier matches the package path before a type name inside the type
	// arguments of a generic type's name: "onair/internal/domain." in
	// "Page[onair/internal/domain.Workflow]".
	qualifier = regexp.MustCompile(`(?:[\w.~-]+/)*[\w-]+\.`)
	// notName matches what a component name may not contain
	// (OpenAPI allows ^[a-zA-Z0-9._-]+$; dots are kept for package prefixes).
	notName = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

// componentNames names each component type in components.schemas: its Go
// type name, or, when types of several packages share that name, the name
// prefixed with as many trailing elements of their package paths as tells
// them apart ("api.Workflow", "domain.Workflow"). A name depends on the set of
// types, never on the order they were met, so the document stays stable.
func componentNames(types []reflect.Type) map[reflect.Type]string {
	groups := map[string][]reflect.Type{}
	var bases []string
	for _, t := range types {
		b := baseName(t)
		if _, ok := groups[b]; !ok {
			bases = append(bases, b)
		}
		groups[b] = append(groups[b], t)
	}
	names := map[reflect.Type]string{}
	for _, b := range bases {
		ts := groups[b]
		if len(ts) == 1 {
			names[ts[0]] = b
			continue
		}
		for t, n := range qualifiedNames(ts, b) {
			names[t] = n
		}
	}
	return names
}

// qualifiedNames tells apart types that share the base name b.
func qualifiedNames(ts []reflect.Type, b string) map[reflect.Type]string {
	for depth := 1; ; depth++ {
		names := map[reflect.Type]string{}
		seen := map[string]bool{}
		exhausted := true
		for _, t := range ts {
			parts := strings.Split(t.PkgPath(), "/")
			if depth < len(parts) {
				exhausted = false
			}
			prefix := parts[max(0, len(parts)-depth):]
			for i, p := range prefix {
				prefix[i] = notName.ReplaceAllString(p, "_")
			}
			n := strings.Join(append(prefix, b), ".")
			if seen[n] {
				break
			}
			seen[n] = true
			names[t] = n
		}
		if len(names) == len(ts) {
			return names
		}
		if exhausted {
			// Same package and name: types local to functions, or generic
			// instances whose arguments share a name. Number them in the
			// order met, which is the order of the spec.
			for i, t := range ts {
				names[t] = b + "_" + strconv.Itoa(i+1)
			}
			return names
		}
	}
}

// baseName is the Go name of t made fit for a component name; the package
// paths of a generic type's arguments are dropped: "Page_Workflow".
func baseName(t reflect.Type) string {
	n := qualifier.ReplaceAllString(t.Name(), "")
	n = strings.Trim(notName.ReplaceAllString(n, "_"), "_")
	if n == "" {
		n = "Object"
	}
	return n
}
