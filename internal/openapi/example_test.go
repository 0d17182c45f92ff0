package openapi_test

import (
	"fmt"

	"onair/internal/openapi"
)

// State lists its values once; every schema that uses it shows them.
type State string

func (State) OpenAPIEnum() []string { return []string{"READY", "RUNNING"} }

type Channel struct {
	ID    string `json:"id" doc:"Channel id." example:"ch-1"`
	State State  `json:"state"`
	Note  string `json:"note,omitempty" doc:"Free text."`
}

// An API package keeps one route table; each route registers its handler on
// the mux and contributes its Operation to the spec.
func ExampleBuild() {
	doc, err := openapi.Build(openapi.Spec{
		Title:   "onair",
		Version: "1.0.0",
		Tags:    []openapi.Tag{{Name: "Channels"}},
		SecuritySchemes: map[string]openapi.SecurityScheme{
			"apiKey": {Type: "apiKey", Name: "x-api-key", In: "header"},
		},
		Security: []map[string][]string{{"apiKey": nil}},
		Operations: []openapi.Operation{{
			Method: "GET", Path: "/api/channels/{id}", Tag: "Channels", Summary: "Get a channel",
			Params:    []openapi.Param{{Name: "id", In: "path"}},
			Responses: []openapi.Response{{Status: 200, Body: Channel{}}, {Status: 404}},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(doc) > 0)
	// Output: true
}
